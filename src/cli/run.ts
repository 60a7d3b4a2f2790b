/**
 * How every command in src/cli ends: the exit code main() returns, or 1 with the stack on stderr when it
 * throws (a logger may not exist yet, or may be the thing that failed).
 */
export function runCli(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

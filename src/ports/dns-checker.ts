/**
 * Checks what the zone's authoritative DNS servers answer, directly (no recursive resolver, so no
 * negative caching delays): used to wait until challenge records are visible everywhere.
 */
export interface DnsChecker {
  /**
   * Names (of those given) whose TXT values are not all answered by every authoritative server.
   * Empty = visible everywhere. Throws only when no server list can be determined.
   */
  missingTxt(expected: { name: string; values: string[] }[]): Promise<string[]>;
}

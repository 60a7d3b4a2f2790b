import { describe, expect, it } from 'vitest';
import { literalFirstLookup } from '../../src/adapters/dns/embedded-server.js';

describe('literalFirstLookup (the UDP socket’s address lookup)', () => {
  it('answers IP literals at once, with their family', () => {
    const answers: unknown[] = [];
    literalFirstLookup('192.0.2.7', {}, (err, address, family) =>
      answers.push([err, address, family]),
    );
    literalFirstLookup('2001:db8::1', {}, (err, address, family) =>
      answers.push([err, address, family]),
    );
    // Synchronous: both callbacks have run before this line.
    expect(answers).toEqual([
      [null, '192.0.2.7', 4],
      [null, '2001:db8::1', 6],
    ]);
  });

  it('resolves names through the system resolver', async () => {
    const result = await new Promise<[string, number]>((resolve, reject) =>
      literalFirstLookup('localhost', { family: 4 }, (err, address, family) =>
        err ? reject(err) : resolve([address, family]),
      ),
    );
    expect(result).toEqual(['127.0.0.1', 4]);
  });
});

/**
 * Email addresses an IdP might assert: hostile or garbage values that must be refused (at sign-in and
 * at delivery), and valid ones with the normalised form they must be stored and sent as.
 */

export const HOSTILE_EMAILS: readonly string[] = [
  'victim@example.edu\r\nBcc: attacker@evil.example',
  'victim@example.edu\nBcc: attacker@evil.example',
  'victim@example.edu\rBcc: attacker@evil.example',
  'victim@example.edu\r\n\r\nInjected body',
  'victim@example.edu\u0000attacker@evil.example',
  'victim@example.edu\u2028Bcc: attacker@evil.example',
  'victim@example.edu\u0085Bcc: attacker@evil.example',
  'victim@example.edu\tattacker@evil.example',
  'victim@example.edu, attacker@evil.example',
  'victim@example.edu,attacker@evil.example',
  'victim@example.edu;attacker@evil.example',
  'victim@example.edu attacker@evil.example',
  'victim@attacker@evil.example',
  'victim@example.edu@evil.example',
  '<attacker@evil.example>',
  'Victim <attacker@evil.example>',
  'victim@example.edu <attacker@evil.example>',
  '"victim@example.edu"@evil.example',
  '"victim"@example.edu',
  '"attacker@evil.example" <victim@example.edu>',
  'victim(comment)@example.edu',
  'victim@example.edu (attacker@evil.example)',
  'victim:attacker@evil.example',
  'victim\\@example.edu',
  '=?utf-8?q?victim=0d=0aBcc:attacker@evil.example?=',
  `${'a'.repeat(65)}@example.edu`,
  `victim@${'b'.repeat(64)}.example`,
  `victim@${'abcdefghi.'.repeat(26)}edu`,
  `${'a'.repeat(5000)}@example.edu`,
  'vict\u0456m@example.edu', // Cyrillic і
  'victim@ex\u0430mple.edu', // Cyrillic а
  'victim\uff20example.edu', // fullwidth @
  '\uff56ictim@example.edu', // fullwidth v
  'victim@example.edu\u200b',
  'vic\u200btim@example.edu',
  'victim@example.edu\u202e',
  'victim@xn--exmple-cua.edu\u0301',
  '',
  '   ',
  '\r\n',
  'victim',
  'victim@',
  '@example.edu',
  'victim@example',
  'victim@localhost',
  'victim@1.2.3.4',
  'victim@[127.0.0.1]',
  'victim@example..edu',
  'victim@-example.edu',
  'victim@example-.edu',
  'victim@.example.edu',
  'victim@example.edu.',
  'vic..tim@example.edu',
  '.victim@example.edu',
  'victim.@example.edu',
  'victim@exa_mple.edu',
];

/** Valid addresses and how they are stored and sent: trimmed, domain in lower case. */
export const VALID_EMAILS: readonly (readonly [string, string])[] = [
  ['ada@example.edu', 'ada@example.edu'],
  ['  Ada.Lovelace@Example.EDU  ', 'Ada.Lovelace@example.edu'],
  ['\n\tada@myseneca.ca\n', 'ada@myseneca.ca'],
  ["o'brien+dns@Sub.Example.edu", "o'brien+dns@sub.example.edu"],
  ['first_last-2@xn--bcher-kva.example', 'first_last-2@xn--bcher-kva.example'],
  [`${'a'.repeat(64)}@example.edu`, `${'a'.repeat(64)}@example.edu`],
];

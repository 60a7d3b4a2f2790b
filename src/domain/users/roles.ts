/**
 * Roles come from IdP groups: admin beats faculty beats student. Patterns are configurable regular
 * expressions (case-insensitive), matched against each group name on its own.
 */
export type Role = 'admin' | 'faculty' | 'student';

export interface RolePatterns {
  admin: string;
  faculty: string;
  student: string;
}

export interface RoleDecision {
  role: Role;
  /** True when at least one group matched a role pattern. */
  member: boolean;
}

/** The role for a set of groups; a person in none of the groups is a student who is not a member. */
export function roleFromGroups(groups: readonly string[], patterns: RolePatterns): RoleDecision {
  const matches = (source: string) => {
    const re = new RegExp(source, 'i');
    return groups.some((g) => re.test(g));
  };
  if (matches(patterns.admin)) return { role: 'admin', member: true };
  if (matches(patterns.faculty)) return { role: 'faculty', member: true };
  return { role: 'student', member: matches(patterns.student) };
}

/**
 * The DNS label for a username, as the original derives it: lower-cased, dots removed. Returns null when
 * the result is not a valid DNS label (e.g. underscores or more than 63 characters).
 */
export function dnsLabelFor(username: string): string | null {
  // ASCII only before lower-casing: 'K' (U+212A KELVIN SIGN) lower-cases to 'k', which would make
  // "\u212Aate" the owner of "kate"'s label.
  if (!/^[A-Za-z0-9.-]+$/.test(username)) return null;
  const label = username.toLowerCase().replace(/\./g, '');
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label) ? label : null;
}

<?php
// Test identities of the development IdP. Attribute names are the ones the production IdP (Azure AD /
// Entra ID) is configured to send: sAMAccountName, displayname, email, group (multi-valued).
// `npm run db:seed` creates the same people as users (src/cli/db-seed.ts).
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'user1:user1pass' => [
            'sAMAccountName' => ['user1'],
            'displayname' => ['Johannes Kepler'],
            'email' => ['user1@myseneca.ca'],
            'group' => ['mycustomdomain-students'],
        ],
        'user2:user2pass' => [
            'sAMAccountName' => ['user2'],
            'displayname' => ['Galileo Galilei'],
            'email' => ['user2@myseneca.ca'],
            'group' => ['mycustomdomain-faculty'],
        ],
        'user3:user3pass' => [
            'sAMAccountName' => ['user3'],
            'displayname' => ['Adam Mason'],
            'email' => ['user3@myseneca.ca'],
            'group' => ['mycustomdomain-admins'],
        ],
        'han.solo:starchart' => [
            'sAMAccountName' => ['han.solo'],
            'displayname' => ['Hans Solo'],
            'email' => ['hansolo@myseneca.ca'],
            'group' => ['mycustomdomain-faculty', 'mycustomdomain-admins'],
        ],
    ],
];

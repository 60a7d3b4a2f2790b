<?php
// Service providers this IdP accepts: Starchart in development (APP_URL=http://localhost:8080), and the
// host.docker.internal form the original project used.
foreach (['http://localhost:8080', 'http://host.docker.internal:8080'] as $appUrl) {
    $metadata[$appUrl . '/sp'] = [
        'AssertionConsumerService' => $appUrl . '/login/callback',
        'SingleLogoutService' => $appUrl . '/logout/callback',
        'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        'validate.authnrequest' => false,
        'sign.logout' => true,
    ];
}

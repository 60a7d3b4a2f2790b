<?php
// SimpleSAMLphp 1.19 configuration for Starchart's DEVELOPMENT identity provider (compose service "idp").
// Test-only: fixed salt and admin password, key pair committed in ../cert. Never use outside development.
$baseUrl = getenv('IDP_BASE_URL') ?: 'http://localhost:8081/';
$config = [
    'baseurlpath' => $baseUrl,
    'certdir' => getenv('IDP_CERT_DIR') ?: '/etc/starchart-idp/cert/',
    'metadatadir' => getenv('IDP_METADATA_DIR') ?: '/etc/starchart-idp/metadata/',
    'loggingdir' => getenv('IDP_STATE_DIR') ?: '/tmp/simplesamlphp/',
    'datadir' => getenv('IDP_STATE_DIR') ?: '/tmp/simplesamlphp/',
    'tempdir' => getenv('IDP_STATE_DIR') ?: '/tmp/simplesamlphp/',
    'technicalcontact_name' => 'Starchart development',
    'technicalcontact_email' => 'dev@starchart.test',
    'timezone' => 'UTC',
    'secretsalt' => 'starchart-development-idp-salt-not-secret',
    'auth.adminpassword' => 'admin',
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'showerrors' => true,
    'errorreporting' => true,
    'logging.level' => SimpleSAML\Logger::NOTICE,
    'logging.handler' => 'errorlog',
    'enable.saml20-idp' => true,
    'enable.shib13-idp' => false,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.phpsession.cookiename' => 'SSPSESSID',
    'store.type' => 'phpsession',
    'language.default' => 'en',
    'usenewui' => false,
];

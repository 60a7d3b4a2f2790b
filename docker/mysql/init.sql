-- Runs once, when the compose "mysql" volume is first created. The compose file already creates the
-- database "starchart" and the user "starchart"; add a test database the same user may use.
CREATE DATABASE IF NOT EXISTS starchart_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
GRANT ALL PRIVILEGES ON starchart_test.* TO 'starchart'@'%';
FLUSH PRIVILEGES;

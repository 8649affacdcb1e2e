-- Web sign-in: forget old attempts and long-ended sessions nightly.
SELECT app.cron_ensure('web-sign-in-prune', '29 3 * * *', 'SELECT app.web_sign_in_prune()');

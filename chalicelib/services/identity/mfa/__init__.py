"""Second factors: TOTP apps, recovery codes, SMS, security keys; and the login step that uses them."""

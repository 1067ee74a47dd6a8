"""Staff identity: users, passwords, policy, login, sessions, lockout, permissions."""

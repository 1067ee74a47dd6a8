"""Scheduled jobs: backups, restore drills, password expiry, retention, reminders.

Each runs as a Chalice `@schedule` Lambda (chalicelib/api/schedules.py) and as `python manage.py <job>`;
`runner.run_job` gives every run the same metrics, alert, audit event and log line.
"""

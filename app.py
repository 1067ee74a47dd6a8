"""SafeSlot's Chalice app: middleware and blueprints, nothing else."""

from chalice import Chalice

from chalicelib.api import http
from chalicelib.api.admin import admin
from chalicelib.api.auth import auth
from chalicelib.api.bookings import bookings
from chalicelib.api.calendar_feeds import calendar_feeds
from chalicelib.api.catalog import catalog
from chalicelib.api.console import console
from chalicelib.api.desk import desk
from chalicelib.api.erasure_requests import erasure_requests
from chalicelib.api.exports import exports
from chalicelib.api.front_desk import front_desk
from chalicelib.api.intake import intake
from chalicelib.api.mfa import mfa
from chalicelib.api.org_account import org_account
from chalicelib.api.org_transparency import org_transparency
from chalicelib.api.pages import pages
from chalicelib.api.patient_transparency import patient_transparency
from chalicelib.api.public import public
from chalicelib.api.queues import queues
from chalicelib.api.schedules import schedules
from chalicelib.api.self_service import self_service
from chalicelib.api.series import series
from chalicelib.api.session_cookie import console_sessions
from chalicelib.api.support import support
from chalicelib.api.system import system
from chalicelib.api.waitlist import waitlist
from chalicelib.api.webhooks import webhooks

app = Chalice(app_name="safeslot")
app.debug = False  # Chalice would return tracebacks; errors are logged with a correlation id instead
app.api.cors = False  # CORS comes from the allowlist in chalicelib/api/http.py, never `*`

http.install(app)  # after `app.debug` is set: that setter changes the log level of `app.log`
app.register_middleware(console_sessions, "http")  # inside http's: its refusals get the error shape
app.register_blueprint(system)
app.register_blueprint(auth)
app.register_blueprint(admin)
app.register_blueprint(mfa)
app.register_blueprint(catalog)
app.register_blueprint(bookings)
app.register_blueprint(public)
app.register_blueprint(pages)
app.register_blueprint(schedules)
app.register_blueprint(support)
app.register_blueprint(org_transparency)
app.register_blueprint(patient_transparency)
app.register_blueprint(self_service)
app.register_blueprint(erasure_requests)
app.register_blueprint(exports)
app.register_blueprint(org_account)
app.register_blueprint(queues)  # the mail queue's consumer (ADR 0016)
app.register_blueprint(console)
app.register_blueprint(front_desk)
app.register_blueprint(desk)  # the week, visit statuses, the patient's card (issue 25)
app.register_blueprint(calendar_feeds)  # issue 29
app.register_blueprint(webhooks)  # issue 29
app.register_blueprint(intake)  # issue 29
app.register_blueprint(waitlist)  # issue 29
app.register_blueprint(series)  # issue 29
http.not_found_routes(app)
http.add_preflight_routes(app)
http.answer_outages_with_503(app)

"""Appointment times in words, by locale (Babel): the patient's zone first, the clinic's where it differs.

Every e-mail, text message and calendar description says the time through these functions, so they
always agree with each other and with the page (which shows the same zone the booking stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.i18n import gettext_for


@dataclass(frozen=True)
class TimeWording:
    """How to say a time to one person: their language, their formatting locale and zones."""

    language: str  # the catalogue: "en", "es"
    locale: str  # the formatting locale: "en_GB" for a 24-hour clock, "es_MX"...
    patient_zone: str
    clinic_zone: str

    def long(self, instant: datetime) -> str:
        """'Friday, December 4, 2026, 12:45 AM (New York time); 4:45 PM in Sydney at the clinic'."""
        return self._with_clinic(instant, self._full(instant, self.patient_zone), short=False)

    def short(self, instant: datetime) -> str:
        """The same, brief enough for a text message: 'Fri, Dec 4, 12:45 AM (New York time)...'."""
        return self._with_clinic(instant, self._brief(instant, self.patient_zone), short=True)

    def day(self, instant: datetime) -> str:
        """The date alone, in the patient's zone and words: 'December 4, 2026', '4 de diciembre de 2026'."""
        from babel.dates import format_date

        return str(format_date(instant.astimezone(ZoneInfo(self.patient_zone)), "long", locale=self.locale))

    def city(self, zone: str) -> str:
        from babel.dates import get_timezone_location  # babel.dates loads with the first time said

        return str(get_timezone_location(ZoneInfo(zone), locale=self.locale, return_city=True))

    def _with_clinic(self, instant: datetime, patient_time: str, short: bool) -> str:
        _ = gettext_for(self.language)
        text = _("%(time)s (%(city)s time)") % {"time": patient_time, "city": self.city(self.patient_zone)}
        if not self._zones_differ(instant):
            return text
        clinic_time = (self._clock(instant, self.clinic_zone) if short
                       else self._full(instant, self.clinic_zone))
        return _("%(patient_time)s; %(clinic_time)s in %(city)s at the clinic") % {
            "patient_time": text, "clinic_time": clinic_time, "city": self.city(self.clinic_zone)}

    def _zones_differ(self, instant: datetime) -> bool:
        here, there = instant.astimezone(ZoneInfo(self.patient_zone)), instant.astimezone(ZoneInfo(self.clinic_zone))
        return here.replace(tzinfo=None) != there.replace(tzinfo=None)

    def _full(self, instant: datetime, zone: str) -> str:
        from babel.dates import format_date, get_datetime_format

        local = instant.astimezone(ZoneInfo(zone))
        pattern = str(get_datetime_format("long", locale=self.locale))
        return pattern.replace("{1}", format_date(local, "full", locale=self.locale)).replace(
            "{0}", self._clock(instant, zone))

    def _brief(self, instant: datetime, zone: str) -> str:
        from babel.dates import format_date

        local = instant.astimezone(ZoneInfo(zone))
        return f"{format_date(local, 'medium', locale=self.locale)}, {self._clock(instant, zone)}"

    def _clock(self, instant: datetime, zone: str) -> str:
        from babel.dates import format_time

        return format_time(instant.astimezone(ZoneInfo(zone)), "short", locale=self.locale)

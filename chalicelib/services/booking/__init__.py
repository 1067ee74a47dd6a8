"""Booking: services and staff, availability, double-booking-proof bookings, customer links, e-mails."""

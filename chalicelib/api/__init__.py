"""HTTP entry points: one Blueprint per area, plus the middleware and body parsing they share."""

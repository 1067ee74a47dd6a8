"""Series of weekly appointments (issue 29, item 1): each occurrence a booking of its own."""

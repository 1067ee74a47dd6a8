"""PynamoDB's settings for `make run`'s processes (PYNAMODB_CONFIG points here; scripts/run_local.py).

`chalice local` serves each request on a thread of its own, all in one process, so its clients' pools
(PynamoDB's default: 10 connections) were too small for a burst: every answer past the tenth dropped its
connection and the next call opened a new one (and moto's server a new thread for it). A deployed Lambda
serves one request at a time, where the default does. Timeouts and retries stay as chalicelib sets them.
"""

max_pool_connections = 128

"""Container health check: GET /healthz on the local app server, as the proxy would.

Usage: python deploy/healthcheck.py PORT. Exit 0 when every service is up.
"""

import http.client
import os
import sys

port = int(sys.argv[1])
host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
connection.request("GET", "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"})
sys.exit(0 if connection.getresponse().status == 200 else 1)

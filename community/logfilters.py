"""Keep what people write out of the logs: message and signal bodies, and any other value they typed.

Two ways such text reaches a log, both closed here:

* Django's SQL debug log (``django.db.backends`` at DEBUG, or any connection
  with a debug cursor) prints each query with its values. ``NoQueryValues``
  keeps the shape of the query and replaces every string literal and the
  parameters.
* A database error's message: PostgreSQL adds ``DETAIL: Failing row contains
  (…)`` (every column of the row) or ``Key (…)=(…)`` to a constraint error, and
  ``django.request`` logs a server error with its traceback. ``NoQueryValues``
  formats the traceback itself, without those lines, and drops ``exc_info`` so
  no later formatter prints the original.

Settings attach the filter to the console handler (all output) and to the
``django.request`` and ``django.db.backends`` loggers (so every handler of
theirs, including a test's, sees the cleaned record); a Celery worker, which
sets up its own handlers, gets it in ``community.celery``.
"""

from __future__ import annotations

import logging
import re
import traceback

# A SQL string literal as psycopg writes it: '…' with '' for a quote, optionally E'…' (backslash escapes).
_LITERAL = re.compile(r"\b[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'", re.DOTALL)
# PostgreSQL's details of a failing row or key, which carry the values themselves.
_DETAIL = re.compile(r"^\s*DETAIL:.*$", re.MULTILINE)
REDACTED = "'…'"
DETAIL_LEFT_OUT = "DETAIL: (left out of the log: it holds the values of the row)"


def without_values(sql: str) -> str:
    return _LITERAL.sub(REDACTED, sql)


def without_details(text: str) -> str:
    return _DETAIL.sub(DETAIL_LEFT_OUT, text)


class NoQueryValues(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "sql"):  # django.db.backends' query log: "(%.3f) %s; args=%s; alias=%s"
            sql = without_values(str(record.sql))
            record.sql = sql
            record.params = None
            record.msg = "(%.3f) %s; args=(left out); alias=%s"
            record.args = (float(getattr(record, "duration", 0.0)), sql, getattr(record, "alias", ""))
        if "DETAIL:" in str(record.msg) or any("DETAIL:" in str(arg) for arg in _args(record)):
            # An error put into the message itself ("… failed: %s", error).
            record.msg, record.args = without_details(record.getMessage()), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = without_details("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = without_details(record.exc_text)
        return True


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    if isinstance(record.args, tuple):
        return record.args
    return tuple(record.args.values()) if isinstance(record.args, dict) else ()

"""The scenarios by id, in the order a run takes them. Each takes the run's Context and returns Rows."""

from __future__ import annotations

from collections.abc import Callable

from bench.context import Context
from bench.report import Row
from bench.scenarios import escalation, http, live

Scenario = Callable[[Context], list[Row]]

SCENARIOS: dict[str, Scenario] = {
    "S1": http.s1_pages,
    "S1s": http.s1s_search,
    "S2": http.s2_recognitions,
    "S3": live.s3_fanout,
    "S4": live.s4_many_sockets,
    "S5": live.s5_end_to_end,
    "S6": escalation.s6_escalation,
    "S7": http.s7_servers,
}

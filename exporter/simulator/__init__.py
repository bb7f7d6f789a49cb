"""A faithful, deterministic fake of OpenRouter's Data API (app-rankings, rankings-daily,
session-cost, classifications/task, benchmarks), for tests, the demo and the `fake-api`
subcommand; rankings-daily can be a recorded history replayed (``replay``).

It imports nothing else of ``exporter`` (a contract in pyproject.toml, checked by
``make lint``): it is the other side of the wire, an independent witness of the API.

    sim = Simulator(seed=42)
    client = httpx.Client(transport=sim.transport(), base_url="http://sim/api/v1")
    server = serve(sim)            # real HTTP: server.url == "http://127.0.0.1:PORT/api/v1"
    Simulator(replay=Replay.load("rankings-daily.csv"))   # a recorded model history
"""

from exporter.simulator.api import RequestRecord, Simulator
from exporter.simulator.clock import ManualClock
from exporter.simulator.faults import Fault, FaultQueue
from exporter.simulator.market import App, AppRanking, DailyRow, Market, Model, SessionCostCell
from exporter.simulator.publication import PublicationSchedule
from exporter.simulator.replay import Replay, ReplayError
from exporter.simulator.server import SimulatorServer, main_fake_api, serve

__all__ = [
    "App",
    "AppRanking",
    "DailyRow",
    "Fault",
    "FaultQueue",
    "ManualClock",
    "Market",
    "Model",
    "PublicationSchedule",
    "Replay",
    "ReplayError",
    "RequestRecord",
    "SessionCostCell",
    "Simulator",
    "SimulatorServer",
    "main_fake_api",
    "serve",
]

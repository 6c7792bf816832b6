"""An offline emulator of the Google Sheets API v4 (and the Drive v3 calls gspread uses).

Development and CI have no network, and offices need somewhere to practise, so
this package answers the same HTTP requests with the same JSON as Google does
(checked against recorded traffic in ``tests/emulator``)::

    from sheets_emulator import EmulatorServer
    from sheets_emulator.client import emulator_client

    with EmulatorServer(data_dir="sandbox") as emu:
        gc = emulator_client(emu.url)
        sh = gc.create("Đánh giá tháng 11")

Run standalone with ``python -m sheets_emulator --port 8765 --data DIR``.
"""

from .faults import FaultConfig
from .model import StateFileError
from .server import EmulatorServer, serve

__all__ = ["EmulatorServer", "FaultConfig", "StateFileError", "serve"]

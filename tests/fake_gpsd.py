"""A stand-in gpsd for the tests: a real TCP server on 127.0.0.1 that sends whatever bytes a test gives it.

The real gpsd (fed by gpsfake) only ever sends well-formed JSON. To play the attacker who answers
on the `--gpsd` address, a test needs a server that says anything: half lines, lines without end,
numbers JSON allows but no receiver reports. It greets each client as gpsd does (a VERSION line),
reads and drops what the client sends (its ?WATCH), and sends every client the bytes it is given.
"""
from __future__ import annotations

import socket
import threading
import time


class FakeGpsd:
    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.accepted = 0          # connections so far (a client that reconnects adds one)
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="fake-gpsd", daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _addr = self._server.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                conn.sendall(b'{"class":"VERSION","release":"3.22","rev":"3.22","proto_major":3,'
                             b'"proto_minor":14}\n')
            except OSError:
                conn.close()
                continue
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()
            with self._lock:
                self._clients.append(conn)
                self.accepted += 1

    @staticmethod
    def _drain(conn: socket.socket) -> None:
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass

    def wait_for_client(self, count: int = 1, timeout: float = 30.0) -> None:
        """Until `count` connections have been made in all (the test fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while self.accepted < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no client connected to the fake gpsd within {timeout:g} s "
                                     f"({self.accepted} of {count})")
            time.sleep(0.02)

    def send(self, data: bytes) -> int:
        """Send `data` to every connected client; returns how many took it (a gone client is dropped)."""
        took = 0
        with self._lock:
            for conn in list(self._clients):
                try:
                    conn.sendall(data)
                    took += 1
                except OSError:
                    self._clients.remove(conn)
                    conn.close()
        return took

    def hang_up(self) -> None:
        """Close every client connection (as a gpsd that restarts would)."""
        with self._lock:
            for conn in self._clients:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._clients.clear()

    def close(self) -> None:
        self._closed.set()
        self._server.close()
        self.hang_up()

    def __enter__(self) -> "FakeGpsd":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def tpv(lat: object, lon: object, mode: object = 3, speed: object = 5.0, time_: str = "2024-05-01T07:00:00.000Z",
        raw: bool = False) -> bytes:
    """A TPV line; with `raw`, lat/lon/mode/speed are written into the JSON as given (e.g. 1e400, NaN, "3d")."""
    import json

    if raw:
        body = (f'{{"class":"TPV","device":"/dev/ttyUSB0","mode":{mode},"time":"{time_}",'
                f'"lat":{lat},"lon":{lon},"speed":{speed}}}')
    else:
        body = json.dumps({"class": "TPV", "device": "/dev/ttyUSB0", "mode": mode, "time": time_,
                           "lat": lat, "lon": lon, "speed": speed})
    return body.encode() + b"\n"

"""pytest harness for executing these notebooks (``pytest --nbmake notebooks/``).

A headless run could stall after a cell: the kernel had sent its reply and sat
idle, while nbclient waited on the shell channel until the cell timeout (seen
after notebook 02's widget cell, with ipykernel 6.31 and 7.4, pyzmq 27.3).
``zmq.asyncio`` learns that a socket is readable from an edge-triggered file
descriptor; when that edge is consumed elsewhere, an ``await socket.poll(t)``
sleeps for all of ``t`` although a message is waiting (pyzmq#2173,
ipykernel#1554 describe the same class of lost wake-up).  See
docs/notebooks.md.

The workaround: the client asks for shell and iopub messages in slices of at
most one second.  Each new poll reads the socket's state afresh, so a lost
wake-up costs at most a second instead of the whole cell timeout.  Nothing
else changes: a cell that really runs long still times out at the
``--nbmake-timeout``.
"""

from __future__ import annotations

import logging
import time
from queue import Empty

import zmq
from jupyter_client.channels import AsyncZMQSocketChannel

SLICE_S = 1.0
log = logging.getLogger("pprl.notebooks")
#: messages that were waiting when a one-second poll said there were none
recovered = []
_get_msg = AsyncZMQSocketChannel.get_msg


async def _get_msg_in_slices(self, timeout: float | None = None):
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        step = SLICE_S if left is None else min(SLICE_S, left)
        try:
            return await _get_msg(self, timeout=step)
        except Empty:
            if self.socket is not None and self.socket.get(zmq.EVENTS) & zmq.POLLIN:
                recovered.append(time.time())
                log.warning("a message was waiting on a socket whose poll timed out "
                            "(lost wake-up); reading it now")
            if left is not None and left <= SLICE_S:
                raise


AsyncZMQSocketChannel.get_msg = _get_msg_in_slices

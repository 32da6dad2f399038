"""The linkage service: ``pprl serve`` and its clients.

:mod:`pprl.service.server` is the linkage unit's side (a REST API
wire-compatible with the entity service's v1, a database of projects and
runs, files and workers); :class:`Client` is the custodians' and the
analyst's side, and ``pprl project …`` is its command line.

Examples
--------
>>> from pprl.service import Client
>>> Client("http://localhost:8851").server
'http://localhost:8851'
"""

from __future__ import annotations

from .client import Client, ServiceError

__all__ = ["Client", "ServiceError"]

"""A catalogued service as the probes and reports see it, and what a probe found.

Plain frozen dataclasses: the YAML schema (``dcctl.tenants.model.ServiceSpec``) is the
typed edge; these are built from it once the catalogue is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CRITICALITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Service:
    slug: str
    tenant: str
    tenant_name: str  # English name of the ministry or entity
    name_en: str
    name_ar: str
    directorate: str  # "" when the tenant itself owns it
    category: str
    criticality: str
    protocol: str  # http, https or tcp
    endpoints: tuple[str, ...]
    expect_status: tuple[int, ...] = (200,)
    expect_contains: str | None = None
    timeout: float = 5.0
    ca_bundle: Path | None = None  # resolved against the tenant file's folder

    @property
    def labels(self) -> dict[str, str]:
        """The labels every metric of this service carries."""
        return {"service": self.slug, "tenant": self.tenant, "category": self.category,
                "criticality": self.criticality}


@dataclass(frozen=True)
class EndpointResult:
    """One probe of one endpoint. ``cert_not_after`` is a UNIX time (https, when a certificate was read)."""

    endpoint: str
    up: bool
    seconds: float
    status: int | None = None
    error: str = ""
    cert_not_after: float | None = None

    def cert_days_left(self, now: float) -> float | None:
        if self.cert_not_after is None:
            return None
        return (self.cert_not_after - now) / 86400


@dataclass(frozen=True)
class ServiceResult:
    service: Service
    endpoints: tuple[EndpointResult, ...] = field(default_factory=tuple)
    checked_at: float = 0.0

    @property
    def up(self) -> bool:
        """Up when every endpoint answered as expected: a citizen sent to any of them must be served."""
        return bool(self.endpoints) and all(e.up for e in self.endpoints)

    @property
    def seconds(self) -> float:
        return max((e.seconds for e in self.endpoints), default=0.0)

    @property
    def cert_not_after(self) -> float | None:
        """The soonest expiry among the endpoints' certificates."""
        times = [e.cert_not_after for e in self.endpoints if e.cert_not_after is not None]
        return min(times) if times else None

    @property
    def errors(self) -> list[str]:
        return [f"{e.endpoint}: {e.error}" for e in self.endpoints if e.error]

    def as_dict(self) -> dict:
        s = self.service
        not_after = self.cert_not_after
        return {
            "service": s.slug, "tenant": s.tenant, "category": s.category, "criticality": s.criticality,
            "up": self.up, "seconds": round(self.seconds, 4),
            "cert_days_left": None if not_after is None else round((not_after - self.checked_at) / 86400, 2),
            "endpoints": [{"endpoint": e.endpoint, "up": e.up, "seconds": round(e.seconds, 4),
                           "status": e.status, "error": e.error,
                           "cert_days_left": None if e.cert_not_after is None
                           else round((e.cert_not_after - self.checked_at) / 86400, 2)}
                          for e in self.endpoints],
        }


def critical_down(results: list[ServiceResult]) -> list[ServiceResult]:
    return [r for r in results if r.service.criticality == "critical" and not r.up]

"""Reporting's stored data behind one repository (ADR 12), one module per
concern: the rating aggregates (`aggregates`), the comment themes
(`themes`), the copy of the service points and its rollout snapshots
(`progress`), the copy of the complaints (`complaints`) and the alerts
(`alerts`). Only the modules of this package issue queries; the reports,
alerts and open data around them take these repositories."""
from services.common import opendata_store
from services.common.opendata_store import OpenDataFiles
from services.common.storage import Repository
from services.reporting.store import aggregates, alerts, complaints, progress, themes

INDEXES = {**aggregates.INDEXES, **complaints.INDEXES, **progress.INDEXES, **alerts.INDEXES,
           **opendata_store.INDEXES}


class ReportingStore(Repository, OpenDataFiles):
    """Reporting's database: `ratings` (AggregateStore), `themes`
    (ThemeStore), `progress` (RolloutStore), `complaints` (ComplaintCopies),
    `alerts` (AlertStore), and the open data files (OpenDataFiles)."""

    def __init__(self, db):
        super().__init__(db)
        self.ratings = aggregates.AggregateStore(db)
        self.themes = themes.ThemeStore(db)
        self.progress = progress.RolloutStore(db)
        self.complaints = complaints.ComplaintCopies(db)
        self.alerts = alerts.AlertStore(db)

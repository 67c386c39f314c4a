"""What the pipeline tells the apps above it (they connect in their ``AppConfig.ready``).

``opportunity_won`` is sent once, after the commit that moved an opportunity to a won stage,
with ``sender=Opportunity`` and ``opportunity=<the Opportunity>``. The contracts app connects to
it to create the contract draft; a receiver's failure never undoes the move (it is already
committed), so receivers keep their own work idempotent and log their errors.
"""

from __future__ import annotations

from django.dispatch import Signal

opportunity_won = Signal()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "kehu.desk"
    label = "desk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import care_nav
        from kehu.desk import account_timeline, models, rules
        from kehu.desk.search import index as search
        from kehu.desk.signals import ticket_events

        ticket_events.connect(search.on_ticket_events, dispatch_uid="kehu.desk.search")
        ticket_events.connect(account_timeline.on_ticket_events, dispatch_uid="kehu.desk.timeline")
        # The customer-care menu links the requirement compass for desk staff.
        care_nav.register_flag("desk_staff", rules.is_desk_staff)

        # Intervals and days are not audited one by one: the calendar's "schedule" field carries
        # the whole schedule, so its history shows each change in one place.
        auditlog.register(
            models.BusinessCalendar,
            include_fields=["name", "name_en", "time_zone", "description", "schedule"],
        )
        auditlog.register(models.PriorityMatrix, include_fields=["cells"])
        auditlog.register(
            models.SlaPolicy,
            include_fields=[
                "name",
                "name_en",
                "position",
                "is_active",
                "calendar",
                "ticket_types",
                "warning_fraction",
                "target_summary",
            ],
            m2m_fields={"departments", "services", "categories"},
        )
        # A ticket's history: every field people change (not the SLA figures the clocks keep).
        auditlog.register(
            models.Ticket,
            include_fields=[
                "subject",
                "ticket_type",
                "status",
                "department",
                "category",
                "service",
                "impact",
                "severity",
                "priority",
                "priority_reason",
                "assignee",
                "custom_values",
                "merged_into",
            ],
            m2m_fields={"tags", "watchers"},
        )
        auditlog.register(models.Category, exclude_fields=["name_pinyin", "version", "updated_at"])
        auditlog.register(models.CustomField, exclude_fields=["version", "updated_at"])
        auditlog.register(
            models.DeskSettings, exclude_fields=["version", "updated_at", "last_assigned"]
        )

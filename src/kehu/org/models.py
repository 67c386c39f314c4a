"""The organisation as a web of internal customers and suppliers (SPEC §1)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import BilingualNameMixin, VersionedModel

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    _("Use letters, digits, '-', '_' or '.', starting with a letter or digit."),
)


class Department(BilingualNameMixin, VersionedModel):
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    head = models.ForeignKey(
        "Employee",
        verbose_name=_("head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name_pinyin", "code"]

    def clean(self) -> None:
        # A department may not become its own ancestor: walk up from the new parent.
        # parent_id may name a missing row (reported by clean_fields); walk ids, not objects.
        parents = dict(Department.objects.values_list("pk", "parent_id"))
        seen = {self.pk}
        node_id = self.parent_id
        while node_id is not None:
            if node_id in seen:
                raise ValidationError({"parent": _("A department cannot be placed under itself.")})
            seen.add(node_id)
            node_id = parents.get(node_id)


class Team(BilingualNameMixin, VersionedModel):
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="teams"
    )
    lead = models.ForeignKey(
        "Employee",
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name_pinyin"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="unique_team_name")
        ]


class Employee(BilingualNameMixin, VersionedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
    )
    employee_no = models.CharField(
        _("employee number"), max_length=32, unique=True, validators=[code_validator]
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="employees"
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    is_away = models.BooleanField(
        _("away"), default=False, help_text=_("Away people are skipped; their backup takes over.")
    )
    away_until = models.DateField(_("away until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["name_pinyin", "employee_no"]

    @property
    def is_currently_away(self) -> bool:
        """Away now: flagged away, and the return date (if any) not yet passed."""
        if not self.is_away:
            return False
        return self.away_until is None or self.away_until >= timezone.localdate()

    def clean(self) -> None:
        if self.team_id and self.department_id:
            team_department = (
                Team.objects.filter(pk=self.team_id).values_list("department_id", flat=True).first()
            )
            if team_department is not None and team_department != self.department_id:
                raise ValidationError({"team": _("The team belongs to another department.")})
        managers = dict(
            Employee.objects.filter(manager__isnull=False).values_list("pk", "manager_id")
        )
        seen = {self.pk}
        node_id = self.manager_id
        while node_id is not None:
            if node_id in seen:
                raise ValidationError({"manager": _("The manager chain would form a loop.")})
            seen.add(node_id)
            node_id = managers.get(node_id)


class KeyRole(BilingualNameMixin, VersionedModel):
    """A key role held by a primary and a backup person (主备), so urgent work always has an owner."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="key_roles"
    )
    primary = models.ForeignKey(
        Employee, verbose_name=_("primary"), on_delete=models.PROTECT, related_name="primary_roles"
    )
    backup = models.ForeignKey(
        Employee,
        verbose_name=_("backup"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backup_roles",
    )

    class Meta:
        verbose_name = _("key role")
        verbose_name_plural = _("key roles")
        ordering = ["name_pinyin"]

    def clean(self) -> None:
        if self.primary_id and self.primary_id == self.backup_id:
            raise ValidationError({"backup": _("The backup must be another person.")})

    @property
    def current_holder(self) -> Employee | None:
        """The primary, unless away; then the backup (when present and not away)."""
        if not self.primary.is_currently_away:
            return self.primary
        if self.backup is not None and not self.backup.is_currently_away:
            return self.backup
        return None


class Service(BilingualNameMixin, VersionedModel):
    """A service a department supplies to internal (and external) customers: its catalogue entry."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("Every employee")
        DEPARTMENTS = "departments", _("Listed departments only")

    department = models.ForeignKey(
        Department,
        verbose_name=_("supplier department"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(
        _("who may request"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE
    )
    allowed_departments = models.ManyToManyField(
        Department, verbose_name=_("departments that may request"), blank=True, related_name="+"
    )
    response_minutes = models.PositiveIntegerField(
        _("response target (business minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 365)],
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (business minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 365)],
    )
    interface_person = models.ForeignKey(
        Employee,
        verbose_name=_("interface person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interface_services",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name_pinyin"]
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="unique_service_name"),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=models.F("response_minutes")),
                name="resolution_not_before_response",
                violation_error_message=_(
                    "The resolution target cannot be shorter than the response target."
                ),
            ),
        ]


class RelationType(models.TextChoices):
    HIERARCHICAL = "hierarchical", _("Hierarchical (职级客户)")
    FUNCTIONAL = "functional", _("Functional (职能客户)")
    PROCESS = "process", _("Process (工序客户)")


class CollaborationMode(models.TextChoices):
    HORIZONTAL = "horizontal", _("Horizontal (水平线型)")
    ASSEMBLY_LINE = "assembly_line", _("Assembly line (流水线型)")
    TEAM = "team", _("Team (团队合作型)")


class InternalRelation(VersionedModel):
    """A typed internal-customer edge: the supplier side serves the customer side.

    Each side is a department or a person (exactly one of the two).
    """

    customer_department = models.ForeignKey(
        Department,
        verbose_name=_("customer department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="supplier_relations",
    )
    customer_employee = models.ForeignKey(
        Employee,
        verbose_name=_("customer person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="supplier_relations",
    )
    supplier_department = models.ForeignKey(
        Department,
        verbose_name=_("supplier department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_relations",
    )
    supplier_employee = models.ForeignKey(
        Employee,
        verbose_name=_("supplier person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_relations",
    )
    relation_type = models.CharField(
        _("relation type"), max_length=16, choices=RelationType.choices
    )
    collaboration_mode = models.CharField(
        _("collaboration mode"), max_length=16, choices=CollaborationMode.choices, blank=True
    )
    description = models.CharField(_("what is supplied"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("internal customer relation")
        verbose_name_plural = _("internal customer relations")
        ordering = ["relation_type", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(customer_department__isnull=False, customer_employee__isnull=True)
                    | Q(customer_department__isnull=True, customer_employee__isnull=False)
                ),
                name="relation_one_customer",
                violation_error_message=_(
                    "Choose either a customer department or a customer person."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(supplier_department__isnull=False, supplier_employee__isnull=True)
                    | Q(supplier_department__isnull=True, supplier_employee__isnull=False)
                ),
                name="relation_one_supplier",
                violation_error_message=_(
                    "Choose either a supplier department or a supplier person."
                ),
            ),
        ]

    @property
    def customer(self) -> Department | Employee:
        return self.customer_department or self.customer_employee  # type: ignore[return-value]

    @property
    def supplier(self) -> Department | Employee:
        return self.supplier_department or self.supplier_employee  # type: ignore[return-value]

    def clean(self) -> None:
        same_department = (
            self.customer_department_id
            and self.customer_department_id == self.supplier_department_id
        )
        same_person = (
            self.customer_employee_id and self.customer_employee_id == self.supplier_employee_id
        )
        if same_department or same_person:
            raise ValidationError(_("A unit cannot be its own supplier."))

    def __str__(self) -> str:
        return f"{self.supplier} → {self.customer} ({self.get_relation_type_display()})"


class InterfaceAssignment(VersionedModel):
    """The one fixed contact (接口人) a requesting unit uses for a supplier department."""

    requesting_department = models.ForeignKey(
        Department,
        verbose_name=_("requesting department"),
        on_delete=models.CASCADE,
        related_name="interface_contacts",
    )
    supplier_department = models.ForeignKey(
        Department,
        verbose_name=_("supplier department"),
        on_delete=models.CASCADE,
        related_name="interface_assignments",
    )
    person = models.ForeignKey(
        Employee,
        verbose_name=_("interface person"),
        on_delete=models.PROTECT,
        related_name="interface_assignments",
    )

    class Meta:
        verbose_name = _("interface person")
        verbose_name_plural = _("interface persons")
        ordering = ["requesting_department__name_pinyin", "supplier_department__name_pinyin", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requesting_department", "supplier_department"],
                name="one_interface_per_pair",
                violation_error_message=_(
                    "This pair of departments already has an interface person."
                ),
            )
        ]

    def clean(self) -> None:
        if (
            self.requesting_department_id
            and self.requesting_department_id == self.supplier_department_id
        ):
            raise ValidationError(_("A department does not need an interface person to itself."))
        person_department = (
            Employee.objects.filter(pk=self.person_id)
            .values_list("department_id", flat=True)
            .first()
        )
        if (
            person_department is not None
            and self.supplier_department_id
            and person_department != self.supplier_department_id
        ):
            raise ValidationError(
                {"person": _("The interface person must work in the supplier department.")}
            )

    def __str__(self) -> str:
        return f"{self.requesting_department} → {self.supplier_department}: {self.person}"


# What people may set on each object, the same through the web forms and the API.
EDITABLE_FIELDS: dict[type[models.Model], list[str]] = {
    Department: ["code", "name", "name_en", "parent", "head", "description", "is_active"],
    Team: ["department", "name", "name_en", "lead"],
    Employee: [
        "employee_no",
        "name",
        "name_en",
        "email",
        "phone",
        "title",
        "department",
        "team",
        "manager",
        "is_away",
        "away_until",
        "is_active",
    ],
    KeyRole: ["department", "name", "name_en", "primary", "backup"],
    Service: [
        "department",
        "name",
        "name_en",
        "description",
        "audience",
        "allowed_departments",
        "response_minutes",
        "resolution_minutes",
        "interface_person",
        "is_active",
    ],
    InternalRelation: [
        "supplier_department",
        "supplier_employee",
        "customer_department",
        "customer_employee",
        "relation_type",
        "collaboration_mode",
        "description",
    ],
    InterfaceAssignment: ["requesting_department", "supplier_department", "person"],
}

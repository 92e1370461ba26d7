from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from comments.models import ClassifierModel, Comment, ModerationEvent
from comments.services import InvalidTransition, approve_comment, reject_comment


def _act_on(
    modeladmin: admin.ModelAdmin[Comment],
    request: HttpRequest,
    queryset: QuerySet[Comment],
    action: Callable[..., Comment],
    verb: str,
) -> None:
    done = skipped = 0
    for comment in queryset:
        try:
            action(comment=comment, moderator=request.user)
            done += 1
        except InvalidTransition:
            skipped += 1
    modeladmin.message_user(request, f"{done} comment(s) {verb}.", messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request, f"{skipped} comment(s) skipped: already in that state.", messages.WARNING
        )


@admin.action(description="Approve (publish) selected comments", permissions=["moderate"])
def approve_selected(
    modeladmin: admin.ModelAdmin[Comment], request: HttpRequest, queryset: QuerySet[Comment]
) -> None:
    _act_on(modeladmin, request, queryset, approve_comment, "approved")


@admin.action(description="Reject selected comments", permissions=["moderate"])
def reject_selected(
    modeladmin: admin.ModelAdmin[Comment], request: HttpRequest, queryset: QuerySet[Comment]
) -> None:
    _act_on(modeladmin, request, queryset, reject_comment, "rejected")


class ModerationEventInline(admin.TabularInline):
    model = ModerationEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "created_at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "reason_codes",
        "scores",
        "model_version",
    )

    def has_add_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "article", "author", "status", "risk", "created_at"]
    list_filter = ["status", "article"]
    search_fields = ["body", "author__username"]
    list_select_related = ["article", "author"]
    readonly_fields = [
        "status",
        "scores",
        "risk",
        "reason_codes",
        "model_version",
        "decided_at",
        "scoring_requested_at",
    ]
    raw_id_fields = ["author", "parent"]
    actions = [approve_selected, reject_selected]
    inlines = [ModerationEventInline]

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("comments.moderate_comment")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        return super().get_queryset(request).defer("model_version__artifact")


@admin.register(ModerationEvent)
class ModerationEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "comment", "actor", "action", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    list_select_related = ["actor", "comment"]
    readonly_fields = [f.name for f in ModerationEvent._meta.get_fields() if f.concrete]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ModerationEvent | None = None
    ) -> bool:
        return False  # the audit trail is append-only


@admin.action(description="Activate the selected version (roll back or forward)")
def activate_selected(
    modeladmin: admin.ModelAdmin[ClassifierModel],
    request: HttpRequest,
    queryset: QuerySet[ClassifierModel],
) -> None:
    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one version.", messages.ERROR)
        return
    # Imported here, not above: loading an artifact needs scikit-learn and skops, which every
    # process that loads the admin (the web) would otherwise pay for; only this rare action does.
    from comments.classifier.artifact import ArtifactError
    from comments.model_versions import activate_stored_version

    record = queryset.get()
    try:
        activate_stored_version(
            classifier_model=record,
            actor=request.user,
            note=f"Classifier v{record.version} activated in the admin by {request.user}.",
        )
    except ArtifactError as error:
        modeladmin.message_user(
            request, f"v{record.version} cannot be loaded: {error}", messages.ERROR
        )
        return
    modeladmin.message_user(
        request, f"v{record.version} is now active; workers follow on their next comment."
    )


@admin.register(ClassifierModel)
class ClassifierModelAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "created_at",
        "is_active",
        "quality",
        "training_seconds",
        "promotion_note",
    ]
    actions = [activate_selected]
    exclude = ["artifact"]
    readonly_fields = [
        "version",
        "created_at",
        "labels",
        "artifact_sha256",
        "metrics",
        "thresholds",
        "workload",
        "promotion_note",
        "library_versions",
        "data_reference",
        "training_seconds",
        "is_active",
    ]

    @admin.display(description="Validation ROC-AUC / Brier")
    def quality(self, record: ClassifierModel) -> str:
        return "; ".join(
            f"{label} {figures.get('roc_auc', 0):.4f} / {figures.get('brier', float('nan')):.4f}"
            for label, figures in record.metrics.items()
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ClassifierModel]:
        return super().get_queryset(request).defer("artifact")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions are made by `manage.py train_classifier`

    def has_delete_permission(
        self, request: HttpRequest, obj: ClassifierModel | None = None
    ) -> bool:
        return False  # versions are kept, so any can be rolled back to and every score explained

"""What the API reads and writes. Reading shapes only: every change goes through the domain functions."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.models import Community, Language, Municipality, Region, UserKind
from community.people import public_name
from notifications.models import Kind
from signals.models import DigestStatus, Outcome, Signal, Status, Theme
from signals.rules import Counters, Rule, escalation_progress


class LookupField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A slug or code that names a row; a non-text value or one with NUL is invalid, not a database error."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or len(data) > 100:
            self.fail("invalid")
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text="What went wrong, in the person's language.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `illegal_transition`.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field named like Serializer.errors
        required=False, help_text="With code `invalid`: the problems per field."
    )


class FindingSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="Send it in `confirmed_findings` if this is not personal data.")
    kind = serializers.ChoiceField(choices=["bsn", "v_number", "phone", "email", "birth_date"])
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    text = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class PersonalDataErrorSerializer(ErrorSerializer):
    findings = FindingSerializer(many=True, required=False, help_text="With code `personal_data`.")


class ThemeSerializer(serializers.ModelSerializer[Theme]):
    name = serializers.CharField(read_only=True, help_text="In the language of the request.")

    class Meta:
        model = Theme
        fields = ["slug", "name", "name_nl", "name_en", "name_ar"]


class MunicipalitySerializer(serializers.ModelSerializer[Municipality]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Municipality
        fields = ["cbs_code", "name", "region"]


class RuleSerializer(serializers.Serializer[Any]):
    recognitions = serializers.IntegerField(source="min_recognitions")
    municipalities = serializers.IntegerField(source="min_municipalities")
    organisations = serializers.IntegerField(source="min_organisations")
    status_holders = serializers.IntegerField(source="min_status_holder_recognitions")


class CommunitySerializer(serializers.ModelSerializer[Community]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    role = serializers.SerializerMethodField(help_text="Your role in force (null while awaiting MFA as liaison).")
    escalation_rule = RuleSerializer(source="*", read_only=True)

    class Meta:
        model = Community
        fields = ["slug", "name", "description", "language", "region", "role", "escalation_rule"]

    def get_role(self, community: Community) -> str | None:
        standing = self.context["standings"].get(community.pk)
        return str(standing.effective) if standing and standing.effective else None


class AuthorSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        help_text="The name, or the pseudonym label for pseudonymous people."
    )
    kind = serializers.ChoiceField(choices=UserKind.choices)


class CountsSerializer(serializers.Serializer[Any]):
    recognitions = serializers.IntegerField(source="recognition_count")
    municipalities = serializers.IntegerField(source="municipality_count")
    organisations = serializers.IntegerField(source="organisation_count")
    status_holders = serializers.IntegerField(source="status_holder_count")


class SignalSerializer(serializers.ModelSerializer[Signal]):
    community: serializers.SlugRelatedField[Community] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    theme: serializers.SlugRelatedField[Theme] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    municipality: serializers.SlugRelatedField[Municipality] = serializers.SlugRelatedField(
        slug_field="cbs_code", read_only=True
    )
    author = serializers.SerializerMethodField()
    counts = CountsSerializer(source="*", read_only=True)
    progress = serializers.SerializerMethodField(help_text="How far the signal is from the escalation rule.")
    merged_into: serializers.PrimaryKeyRelatedField[Signal] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    created = serializers.DateTimeField(source="created_at", read_only=True)
    updated = serializers.DateTimeField(source="updated_at", read_only=True)
    last_activity = serializers.DateTimeField(source="last_activity_at", read_only=True)
    escalated = serializers.DateTimeField(
        source="escalated_at", read_only=True, allow_null=True, help_text="When it was escalated (permanent)."
    )

    class Meta:
        model = Signal
        fields = [
            "id", "community", "title", "description", "language", "theme", "municipality", "status", "outcome",
            "author", "counts", "progress", "merged_into", "created", "updated", "last_activity", "escalated",
        ]  # fmt: skip

    @extend_schema_field(AuthorSerializer)
    def get_author(self, signal: Signal) -> dict[str, str]:
        kind = signal.author.kind if signal.author else UserKind.PROFESSIONAL
        return {"label": public_name(signal.author, signal.community), "kind": kind}

    def get_progress(self, signal: Signal) -> str:
        counters = Counters.of(signal)
        return escalation_progress(counters, Rule.of(signal.community)).text


class SignalCreateSerializer(serializers.Serializer[Any]):
    community = serializers.SlugField(help_text="The slug of one of your communities.")
    title = serializers.CharField(max_length=140)
    description = serializers.CharField(max_length=20000)
    theme = LookupField(slug_field="slug", queryset=Theme.objects.all())
    municipality = LookupField(slug_field="cbs_code", queryset=Municipality.objects.all())
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    recognised_from = LookupField(
        slug_field="cbs_code",
        queryset=Municipality.objects.all(),
        required=False,
        help_text="Your own municipality for your report's recognition, if your profile lists several.",
    )
    confirmed_findings = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=50,
        help_text="Keys of privacy-guard findings you confirm are not personal data.",
    )  # fmt: skip


class SignalPatchSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=140, required=False)
    description = serializers.CharField(max_length=20000, required=False)
    theme = LookupField(slug_field="slug", queryset=Theme.objects.all(), required=False)
    municipality = LookupField(slug_field="cbs_code", queryset=Municipality.objects.all(), required=False)
    confirmed_findings = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=50
    )


class RecognitionSerializer(serializers.Serializer[Any]):
    municipality = LookupField(
        slug_field="cbs_code",
        queryset=Municipality.objects.all(),
        required=False,
        help_text="One of your profile's municipalities; needed when it lists several.",
    )
    people_affected = serializers.IntegerField(min_value=1, max_value=100000, required=False)
    tried_locally = serializers.BooleanField(required=False, default=False)
    tried_locally_note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class TransitionSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=[s for s in Status.choices if s[0] != Status.MERGED])
    reason = serializers.CharField(max_length=4000, required=False, default="", allow_blank=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, default="", allow_blank=True)
    lesson = serializers.CharField(max_length=8000, required=False, default="", allow_blank=True)
    on_behalf_of = serializers.CharField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="With `to: answered` (the answer is in `reason`): on whose behalf, e.g. "
        "“the ministry of SZW, via the regional coordinator”.",
    )


class MessageSerializer(serializers.Serializer[Any]):
    """CONTRACT.md's message shape (the same as the WebSocket's ``message.new``)."""

    id = serializers.IntegerField()
    author = AuthorSerializer()
    body_html = serializers.CharField(help_text="Safe HTML; empty when deleted or hidden.")
    html = serializers.CharField(help_text="The server-rendered fragment the page inserts.")
    lang = serializers.CharField()
    created = serializers.DateTimeField()
    client_id = serializers.UUIDField(allow_null=True)


class MessageCreateSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=4000)
    client_id = serializers.UUIDField(required=False, help_text="Makes a retry safe: one message per id.")
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    confirmed_findings = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=50
    )


class NotificationSerializer(serializers.Serializer[Any]):
    """CONTRACT.md's notification (the same as ``notification.new`` on ``ws/notifications/``, without ``html``)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    text = serializers.CharField(help_text="What happened, in your language.")
    title = serializers.CharField(help_text="The subject's title when it happened.")
    url = serializers.CharField(help_text="The subject's page (a path on this site).")
    actor = serializers.CharField(help_text="Who did it, as others see them; empty for the system.")
    count = serializers.IntegerField(help_text="Events grouped into this notification.")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()
    read = serializers.BooleanField()


class UnreadSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class CountsSnapshotSerializer(serializers.Serializer[Any]):
    recognitions = serializers.IntegerField()
    municipalities = serializers.IntegerField()
    organisations = serializers.IntegerField()
    status_holders = serializers.IntegerField()


class DigestSignalSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    theme = serializers.CharField(help_text="The theme's slug.")
    municipality = serializers.CharField()
    figures = CountsSnapshotSerializer()
    explanation = serializers.CharField(help_text="Why it was escalated, in the digest's language.")
    url = serializers.URLField()


class DigestSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    community = serializers.CharField(help_text="The community's slug.")
    slot = serializers.DateTimeField(help_text="The scheduled moment it was compiled for.")
    status = serializers.ChoiceField(choices=DigestStatus.choices)
    language = serializers.CharField()
    created = serializers.DateTimeField()
    approved = serializers.DateTimeField(allow_null=True)
    sent = serializers.DateTimeField(allow_null=True)
    signals = DigestSignalSerializer(many=True, help_text="The signals in it (not those held back).")
    held_back = serializers.ListField(
        child=serializers.DictField(), help_text="Drafts, for coordinators: the signals left out, with the reason."
    )
    pdf = serializers.URLField(help_text="The PDF (rendered once, at approval).")
    csv = serializers.URLField(help_text="The CSV (formula-like cells neutralised).")

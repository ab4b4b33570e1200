"""The JSON API (/api/v1/): thin views over the same selectors, permissions and services as the pages."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import reference
from api.serializers import (
    CommunitySerializer,
    DigestSerializer,
    ErrorSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    MunicipalitySerializer,
    NotificationSerializer,
    PersonalDataErrorSerializer,
    RecognitionSerializer,
    SignalCreateSerializer,
    SignalPatchSerializer,
    SignalSerializer,
    ThemeSerializer,
    TransitionSerializer,
    UnreadSerializer,
)
from community import permissions
from community.models import Community, Municipality, User, UserKind
from notifications import services as notifications
from notifications.models import Kind, Notification
from notifications.realtime import notification_payload, unread_counts
from signals import digests, discussion, opendata, selectors, services
from signals.models import Digest, Signal, Status, Theme
from signals.realtime import message_payload
from signals.workflow import signal_transition

SIGNAL_EXAMPLE = OpenApiExample(
    "A signal",
    response_only=True,
    value={
        "id": 12,
        "community": "cop-statushouders-hvb",
        "title": "Wachtlijst taalschool",
        "description": "Statushouders wachten drie maanden op een plek.",
        "language": "nl",
        "theme": "civic-integration",
        "municipality": "GM0855",
        "status": "open",
        "outcome": "",
        "author": {"label": "a status holder in Hart van Brabant", "kind": "status_holder"},
        "counts": {"recognitions": 2, "municipalities": 2, "organisations": 1, "status_holders": 1},
        "progress": "Recognised by 2 people in 2 municipalities and 1 organisation; escalation needs 10 people, "
        "3 municipalities, 2 organisations.",
        "merged_into": None,
        "created": "2026-11-22T09:30:00+01:00",
        "updated": "2026-11-22T10:05:00+01:00",
        "last_activity": "2026-11-22T10:05:00+01:00",
    },
)
ERROR_EXAMPLES = [
    OpenApiExample("Not in your communities", response_only=True, status_codes=["404"],
                   value={"detail": "Not found, or not in your communities.", "code": "not_found"}),
    OpenApiExample("Illegal move", response_only=True, status_codes=["409"],
                   value={"detail": "A signal that is Open cannot become Answered.", "code": "illegal_transition"}),
    OpenApiExample("Personal data", response_only=True, status_codes=["400"],
                   value={"detail": "This text seems to contain personal data: phone number “06-12345678”. …",
                          "code": "personal_data",
                          "findings": [{"key": "3f0c…", "kind": "phone", "label": "phone number",
                                        "text": "06-12345678", "start": 12, "end": 23}]}),
    OpenApiExample("Too many writes", response_only=True, status_codes=["429"],
                   value={"detail": "Request was throttled. Expected available in 41 seconds.", "code": "throttled"}),
]  # fmt: skip
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input."),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in, or the token is not valid."),
    403: OpenApiResponse(
        ErrorSerializer, description="Not allowed for your role, or a signed-in session's write without its CSRF token."
    ),
    404: OpenApiResponse(ErrorSerializer, description="Unknown, or not in your communities."),
    413: OpenApiResponse(ErrorSerializer, description="The body is over 64 KiB."),
    429: OpenApiResponse(ErrorSerializer, description="Too many writes; see Retry-After."),
}


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class Pages(PageNumberPagination):
    """20 to a page, ``page_size`` up to 100; a page past the last answers 404, one that is no number 400
    (the lists' schemas say both)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        number = request.query_params.get(self.page_query_param, "1")
        if number != "last" and (not number.isdigit() or int(number) < 1):
            raise ValidationError({"page": [_("A page is a whole number from 1.")]})
        return super().paginate_queryset(queryset, request, view)


def paged(item: type[serializers.Serializer[Any]], name: str) -> serializers.Serializer[Any]:
    """The schema of a page of ``item`` as ``Pages`` answers it (schemathesis held the API to its schema
    and found these lists declared as bare arrays)."""
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


def _listed_signals(user: User) -> QuerySet[Signal]:
    return selectors.listed(selectors.signals_visible_to(user)).select_related(
        "community__region", "theme", "municipality", "author"
    )


SIGNAL_FILTERS = [
    OpenApiParameter("community", str, description="Community slug."),
    OpenApiParameter("theme", str, description="Theme slug, e.g. `housing`."),
    OpenApiParameter("municipality", str, description="CBS code, e.g. `GM0855`."),
    OpenApiParameter("status", str, enum=[s.value for s in Status if s != Status.MERGED]),
    OpenApiParameter("author_kind", str, enum=[k.value for k in UserKind]),
    OpenApiParameter("q", str, description="Search words (Dutch stemming; typos forgiven)."),
    OpenApiParameter(
        "ordering", str, enum=list(selectors.ORDERINGS), description="Default `active`; with `q`, best match."
    ),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description="At most 100."),
]


class SignalListView(APIView):
    @extend_schema(
        operation_id="signals_list",
        parameters=SIGNAL_FILTERS,
        responses={200: paged(SignalSerializer, "Signal"), **{c: ERRORS[c] for c in (400, 401, 404)}},
        description="Signals of your communities (liaisons: from `reported` on), without hidden or merged ones.",
        examples=[SIGNAL_EXAMPLE],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params

        def text(name: str, limit: int = 100) -> str:
            return params.get(name, "").replace("\x00", "")[:limit]

        signals = selectors.signals_filtered(
            _listed_signals(_user(request)),
            lookups={
                "community__slug": text("community"),
                "theme__slug": text("theme"),
                "municipality__cbs_code": text("municipality"),
                "status": text("status"),
                "author__kind": text("author_kind"),
            },
            query=text("q", 200).strip(),
            ordering=text("ordering"),
        )
        paginator = Pages()
        page = paginator.paginate_queryset(signals, request, view=self)
        return paginator.get_paginated_response(SignalSerializer(page, many=True).data)

    @extend_schema(
        operation_id="signals_create",
        request=SignalCreateSerializer,
        responses={
            201: SignalSerializer,
            400: OpenApiResponse(PersonalDataErrorSerializer, description="Bad input, or personal data found."),
            **{code: ERRORS[code] for code in (401, 403, 404, 413, 429)},
        },
        examples=[
            SIGNAL_EXAMPLE,
            *ERROR_EXAMPLES,
            OpenApiExample(
                "Report",
                request_only=True,
                value={
                    "community": "cop-statushouders-hvb",
                    "title": "Wachtlijst taalschool",
                    "description": "Statushouders wachten drie maanden op een plek.",
                    "theme": "civic-integration",
                    "municipality": "GM0855",
                },
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = _valid(SignalCreateSerializer, request)
        user = _user(request)
        community = permissions.access_community(user, data["community"], may=permissions.may_report)
        signal = services.signal_create(
            actor=user,
            community=community,
            title=data["title"],
            description=data["description"],
            theme=data["theme"],
            municipality=data["municipality"],
            language=data.get("language"),
            recognised_from=data.get("recognised_from"),
            confirmed_findings=frozenset(data["confirmed_findings"]),
        )
        return Response(_signal_data(user, signal.pk), status=status.HTTP_201_CREATED)


def _valid(serializer_class: Any, request: Request, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _signal_data(user: User, pk: int) -> dict[str, Any]:
    signal = selectors.access_signal(user, pk)
    signal = Signal.objects.select_related("community__region", "theme", "municipality", "author").get(pk=signal.pk)
    return dict(SignalSerializer(signal).data)


class SignalDetailView(APIView):
    @extend_schema(
        operation_id="signals_retrieve", responses={200: SignalSerializer, **{c: ERRORS[c] for c in (401, 404)}}
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_signal_data(_user(request), pk))

    @extend_schema(
        operation_id="signals_partial_update",
        request=SignalPatchSerializer,
        responses={
            200: SignalSerializer,
            400: OpenApiResponse(PersonalDataErrorSerializer, description="Bad input, or personal data found."),
            **{c: ERRORS[c] for c in (401, 403, 404, 413, 429)},
        },
        description="The author within 24 hours of reporting, or a moderator; only while the signal is open.",
        examples=[SIGNAL_EXAMPLE, *ERROR_EXAMPLES],
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = _user(request)
        signal = selectors.access_signal(user, pk)
        data = _valid(SignalPatchSerializer, request, partial=True)
        services.signal_edit(
            actor=user,
            signal=signal,
            title=data.get("title", signal.title),
            description=data.get("description", signal.description),
            theme=data.get("theme", signal.theme),
            municipality=data.get("municipality", signal.municipality),
            confirmed_findings=frozenset(data.get("confirmed_findings", [])),
        )
        return Response(_signal_data(user, pk))


class RecognitionView(APIView):
    @extend_schema(
        operation_id="recognitions_create",
        request=RecognitionSerializer,
        responses={201: SignalSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 404, 429)}},
        description="Recognise the signal (“this happens here too”); answers with the signal's new figures.",
        examples=[SIGNAL_EXAMPLE, *ERROR_EXAMPLES],
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        signal = selectors.access_signal(user, pk, may=permissions.may_recognise)
        services.recognition_add(actor=user, signal=signal, **_valid(RecognitionSerializer, request))
        return Response(_signal_data(user, pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="recognitions_destroy",
        responses={200: SignalSerializer, **{c: ERRORS[c] for c in (400, 401, 403, 404, 429)}},
        description="Withdraw your recognition (not the reporter's own).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = _user(request)
        signal = selectors.access_signal(user, pk, may=permissions.may_recognise)
        services.recognition_withdraw(actor=user, signal=signal)
        return Response(_signal_data(user, pk))


class TransitionView(APIView):
    @extend_schema(
        operation_id="transitions_create",
        request=TransitionSerializer,
        responses={
            200: SignalSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Not a move from the signal's current status."),
            **{c: ERRORS[c] for c in (400, 401, 403, 404, 429)},
        },
        examples=[
            SIGNAL_EXAMPLE,
            *ERROR_EXAMPLES,
            OpenApiExample("Solve locally", request_only=True, value={"to": "resolved_locally", "lesson": "…"}),
            OpenApiExample(
                "Escalate", request_only=True, value={"to": "escalated", "reason": "Speelt in vier gemeenten."}
            ),
            OpenApiExample("Close", request_only=True, value={"to": "closed", "outcome": "solved"}),
            OpenApiExample(
                "Record an answer",
                request_only=True,
                value={
                    "to": "answered",
                    "reason": "De regeling wordt per 1 januari aangepast.",
                    "on_behalf_of": "Ministerie van SZW, via de regiocoördinator",
                },
            ),
        ],
        description="Move the signal, with the same rules and roles as on its page. An answer is recorded with "
        "this move too: `to: answered`, the answer in `reason` and on whose behalf in `on_behalf_of` "
        "(coordinators and liaisons, on a reported signal).",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        signal = selectors.access_signal(user, pk)
        data = _valid(TransitionSerializer, request)
        signal_transition(
            actor=user,
            signal=signal,
            to=Status(data["to"]),
            reason=data["reason"],
            outcome=data["outcome"],
            lesson=data["lesson"],
            on_behalf_of=data["on_behalf_of"],
        )
        return Response(_signal_data(user, pk))


class FollowView(APIView):
    @extend_schema(
        operation_id="follows_create", request=None, responses={204: None, **{c: ERRORS[c] for c in (401, 403, 404)}}
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        services.signal_follow(actor=user, signal=selectors.access_signal(user, pk, may=permissions.may_follow))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="follows_destroy",
        responses={204: None, **{c: ERRORS[c] for c in (401, 403, 404)}},
        description="Stop following; works also for a signal you can no longer see (204 either way).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.signal_unfollow_id(actor=_user(request), signal_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MessageListView(APIView):
    @extend_schema(
        operation_id="messages_list",
        parameters=[OpenApiParameter("after", int, description="Only messages with a larger id (to resync).")],
        responses={200: MessageSerializer(many=True), **{c: ERRORS[c] for c in (400, 401, 404)}},
        description="The discussion of the signal, oldest first (at most 500 after `after`).",
    )
    def get(self, request: Request, pk: int) -> Response:
        signal = selectors.access_signal(_user(request), pk)
        after = request.query_params.get("after", "")
        if after and not after.isdigit():
            raise ValidationError({"after": [_("A message id is a whole number.")]})
        return Response([message_payload(view.message) for view in selectors.discussion(signal, after=int(after or 0))])

    @extend_schema(
        operation_id="messages_create",
        request=MessageCreateSerializer,
        responses={
            201: MessageSerializer,
            200: OpenApiResponse(MessageSerializer, description="This `client_id` was sent before: the first."),
            400: OpenApiResponse(PersonalDataErrorSerializer, description="Bad input, or personal data found."),
            **{c: ERRORS[c] for c in (401, 403, 404, 413, 429)},
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        signal = selectors.access_signal(user, pk, may=permissions.may_discuss)
        data = _valid(MessageCreateSerializer, request)
        message, created = discussion.message_post(
            actor=user,
            signal=signal,
            body=data["body"],
            language=data.get("language"),
            client_id=data.get("client_id"),
            confirmed_findings=frozenset(data["confirmed_findings"]),
        )
        message.signal = signal
        return Response(message_payload(message), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ThemeListView(APIView):
    @extend_schema(operation_id="themes_list", responses={200: ThemeSerializer(many=True), 401: ERRORS[401]})
    def get(self, request: Request) -> Response:
        return Response(ThemeSerializer(Theme.objects.all(), many=True).data)


class MunicipalityListView(APIView):
    @extend_schema(
        operation_id="municipalities_list",
        responses={200: MunicipalitySerializer(many=True), 401: ERRORS[401]},
        description="Municipalities of the regions of your communities.",
    )
    def get(self, request: Request) -> Response:
        regions = permissions.communities_visible_to(_user(request)).values("region")
        places = Municipality.objects.filter(region__in=regions).select_related("region").order_by("name")
        return Response(MunicipalitySerializer(places, many=True).data)


class CommunityListView(APIView):
    @extend_schema(operation_id="communities_list", responses={200: CommunitySerializer(many=True), 401: ERRORS[401]})
    def get(self, request: Request) -> Response:
        user = _user(request)
        mine: QuerySet[Community] = permissions.communities_visible_to(user).select_related("region").order_by("name")
        context = {"standings": permissions.role_standings(user)}
        return Response(CommunitySerializer(mine, many=True, context=context).data)


class NotificationListView(APIView):
    @extend_schema(
        operation_id="notifications_list",
        parameters=[
            OpenApiParameter("kind", str, enum=[k.value for k in Kind]),
            OpenApiParameter("unread", bool, description="`true`: only unread ones."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 100."),
        ],
        responses={200: paged(NotificationSerializer, "Notification"), **{c: ERRORS[c] for c in (400, 401, 404)}},
        description="Your notifications, latest event first.",
    )
    def get(self, request: Request) -> Response:
        rows = Notification.objects.filter(recipient=_user(request))
        kind = request.query_params.get("kind", "")
        if kind:
            if kind not in Kind.values:
                raise ValidationError({"kind": [_("Not a kind of notification.")]})
            rows = rows.filter(kind=kind)
        unread = request.query_params.get("unread", "")
        if unread not in ("", "true", "false"):
            raise ValidationError({"unread": [_("Use true or false.")]})
        if unread == "true":
            rows = rows.filter(read_at__isnull=True)
        pages = Pages()
        page = pages.paginate_queryset(rows, request, self)
        return pages.get_paginated_response([notification_payload(n, html=False) for n in page])


class NotificationReadView(APIView):
    @extend_schema(
        operation_id="notifications_read",
        request=None,
        responses={200: NotificationSerializer, **{c: ERRORS[c] for c in (401, 403, 404)}},
        description="Mark one of your notifications read (again is fine).",
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            notification = notifications.notification_read(user=_user(request), pk=pk)
        except Notification.DoesNotExist:
            raise Http404 from None
        return Response(notification_payload(notification, html=False))


class NotificationReadAllView(APIView):
    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses={200: UnreadSerializer, **{c: ERRORS[c] for c in (401, 403)}},
        description="Mark all your notifications read; answers the unread count (0).",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        notifications.notifications_read_all(user=user)
        return Response({"unread": unread_counts([user.pk]).get(user.pk, 0)})


def _digest_payload(request: Request, digest: Digest, *, deciding: bool) -> dict[str, Any]:
    items = sorted(digest.items.all(), key=lambda item: item.pk)  # prefetched for lists
    return {
        "id": digest.pk,
        "community": digest.community.slug,
        "slot": digest.slot,
        "status": digest.status,
        "language": digest.language,
        "created": digest.created_at,
        "approved": digest.approved_at,
        "sent": digest.sent_at,
        "signals": [
            {
                key: item.snapshot[key]
                for key in ("id", "title", "theme", "municipality", "figures", "explanation", "url")
            }
            for item in items
            if not item.held_back
        ],
        "held_back": [
            {"id": item.signal_id, "title": item.snapshot["title"], "reason": item.held_back_reason}
            for item in items
            if item.held_back and deciding
        ],
        "pdf": request.build_absolute_uri(reverse("digest_pdf", args=[digest.pk])),
        "csv": request.build_absolute_uri(reverse("digest_csv", args=[digest.pk])),
    }


class DigestListView(APIView):
    @extend_schema(
        operation_id="digests_list",
        parameters=[
            OpenApiParameter("community", str, description="A community's slug."),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 100."),
        ],
        responses={200: paged(DigestSerializer, "Digest"), **{c: ERRORS[c] for c in (400, 401, 404)}},
        description="Digest reports of your communities, newest first: sent ones for everyone in the community, "
        "drafts and approved ones for its coordinators.",
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        rows = digests.digests_visible_to(user).prefetch_related("items").order_by("-slot", "-pk")
        community = request.query_params.get("community", "")
        if community:
            rows = rows.filter(community__slug=community)
        pages = Pages()
        page = pages.paginate_queryset(rows, request, self)
        coordinating = {c.pk for c in {d.community for d in page} if permissions.may_approve_digests(user, c)}
        return pages.get_paginated_response(
            [_digest_payload(request, d, deciding=d.community_id in coordinating) for d in page]
        )


class DigestDetailView(APIView):
    @extend_schema(
        operation_id="digests_retrieve",
        responses={200: DigestSerializer, **{c: ERRORS[c] for c in (401, 404)}},
        description="One digest report (404 if it is not yours to see).",
    )
    def get(self, request: Request, pk: int) -> Response:
        user = _user(request)
        digest = Digest.objects.select_related("community__region").filter(pk=pk).first()
        if digest is None or not digests.may_see(user, digest):
            raise Http404
        deciding = permissions.may_approve_digests(user, digest.community)
        return Response(_digest_payload(request, digest, deciding=deciding))


OPEN_DATA_CACHE_SECONDS = 3600


def _open_data() -> list[dict[str, Any]]:
    """The published rows, computed at most once an hour (all app processes share the cache)."""
    rows = cache.get_or_set("open-data:v1:signals", opendata.published, OPEN_DATA_CACHE_SECONDS)
    return list(rows or [])


class OpenDataRowSerializer(serializers.Serializer[Any]):
    community = serializers.SlugField(help_text="The community's slug.")
    month = serializers.CharField(help_text="YYYY-MM, Amsterdam time.")
    theme = serializers.SlugField(help_text="The theme's slug (see /api/v1/themes/).")
    municipality = serializers.CharField(help_text="CBS code, e.g. GM0855.")
    signals = serializers.IntegerField(allow_null=True, help_text="Reported that month; null: fewer than 5.")
    recognitions = serializers.IntegerField(allow_null=True, help_text="Recognised that month; null: fewer than 5.")
    escalations = serializers.IntegerField(allow_null=True, help_text="Escalated that month; null: fewer than 5.")
    answers = serializers.IntegerField(allow_null=True, help_text="Answered that month; null: fewer than 5.")


OPEN_DATA_DESCRIPTION = (
    "Public, no sign-in. For the communities whose coordinators publish open data: per month × theme × "
    "municipality (of the signal), the number of signals reported, recognitions, escalations and answers. No text "
    "and no people. A count under 5 is null, a row whose counts are all under 5 is left out, and no totals are "
    "published, so a left-out count cannot be worked out from the others. Refreshed at most once an hour."
)


def _public(response: HttpResponse | Response) -> HttpResponse | Response:
    response["Cache-Control"] = f"public, max-age={OPEN_DATA_CACHE_SECONDS}"
    return response


class OpenDataJsonView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="open_data_signals_json",
        auth=[],
        responses={200: OpenDataRowSerializer(many=True)},
        description=OPEN_DATA_DESCRIPTION,
    )
    def get(self, request: Request) -> Response:
        return _public(Response(_open_data()))  # type: ignore[return-value]


class OpenDataCsvView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="open_data_signals_csv",
        auth=[],
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description=OPEN_DATA_DESCRIPTION + " The same rows as the JSON, as CSV (empty cell: fewer than 5).",
    )
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(opendata.as_csv(_open_data()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="knooppunt-open-data-signals.csv"'
        return _public(response)


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    """The API reference: public like the schema it is built from, in English like the API's descriptions."""
    response = HttpResponse(reference.reference_html())
    response["Content-Language"] = reference.REFERENCE_LANGUAGE
    return response

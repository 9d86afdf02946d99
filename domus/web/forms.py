"""The pages' forms: Django forms validate what a visitor typed and render its errors
once; the views turn the cleaned data into the same filter schemas and service calls
as the API."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from domus.properties.schemas import ListingFilters

PROPERTY_TYPES = [
    ("", _("Any type")),
    ("apartment", _("Apartment")),
    ("house", _("House")),
    ("villa", _("Villa")),
    ("townhouse", _("Townhouse")),
    ("land", _("Land")),
    ("commercial", _("Commercial")),
    ("office", _("Office")),
    ("other", _("Other")),
]
LISTING_TYPES = [("", _("Buy or rent")), ("sale", _("For sale")), ("rent", _("For rent"))]
SORTS = [
    ("", _("Newest first")),
    ("price", _("Lowest price")),
    ("-price", _("Highest price")),
    ("-bedrooms", _("Most bedrooms")),
    ("-area", _("Largest")),
]
BEDROOMS = [("", _("Any")), ("1", "1+"), ("2", "2+"), ("3", "3+"), ("4", "4+"), ("5", "5+")]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Where or what"), required=False, max_length=200)
    listing_type = forms.ChoiceField(label=_("Buy or rent"), choices=LISTING_TYPES, required=False)
    property_type = forms.ChoiceField(label=_("Type"), choices=PROPERTY_TYPES, required=False)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    min_price = forms.DecimalField(label=_("Lowest price"), required=False, min_value=0, max_digits=14)
    max_price = forms.DecimalField(label=_("Highest price"), required=False, min_value=0, max_digits=14)
    min_bedrooms = forms.TypedChoiceField(
        label=_("Bedrooms"), choices=BEDROOMS, required=False, coerce=int, empty_value=None
    )
    features = forms.MultipleChoiceField(label=_("Features"), required=False, widget=forms.CheckboxSelectMultiple)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)
    bbox = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, features: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["features"].choices = list(features)

    def filters(self) -> ListingFilters:
        """The API's search filters for what was asked (call after ``is_valid``)."""
        data = self.cleaned_data
        return ListingFilters(
            search=data.get("q") or None,
            listing_type=data.get("listing_type") or None,
            property_type=data.get("property_type") or None,
            city=data.get("city") or None,
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            min_bedrooms=data.get("min_bedrooms"),
            features=",".join(data.get("features") or []) or None,
            ordering=data.get("sort") or None,
            bbox=data.get("bbox") or None,
        )


class LoginForm(forms.Form):
    identifier = forms.CharField(label=_("E-mail or username"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("I am"),
        choices=[("customer", _("Looking for a home")), ("tenant", _("A tenant")), ("owner", _("A property owner"))],
    )
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)
    password_confirm = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, max_length=128)


class ViewingForm(forms.Form):
    slot = forms.DateTimeField(label=_("Time"), input_formats=["%Y-%m-%dT%H:%M"])
    note = forms.CharField(label=_("Note for the agent"), required=False, max_length=1000, widget=forms.Textarea)


class PayForm(forms.Form):
    phone = forms.CharField(label=_("M-Pesa phone number"), min_length=9, max_length=20)


class StatementForm(forms.Form):
    company = forms.ChoiceField(label=_("Company"))
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, companies: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = list(companies)


CHANNELS = [
    ("email", _("E-mail")),
    ("sms", _("SMS")),
    ("whatsapp", "WhatsApp"),
    ("telegram", "Telegram"),
    ("voice", _("Voice calls")),
]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=[("en", "English"), ("sw", "Kiswahili")])
    timezone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("For example Africa/Nairobi."))
    channels = forms.MultipleChoiceField(
        label=_("Tell me by"), choices=CHANNELS, required=False, widget=forms.CheckboxSelectMultiple
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    marketing_consent = forms.BooleanField(label=_("Send me news and offers"), required=False)

    def clean_timezone(self) -> str:
        zone = self.cleaned_data["timezone"].strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Not a known time zone.")) from None
        return zone


PHONE = RegexValidator(r"^[0-9+()\-. ]*$", _("Digits, spaces and + ( ) - . only."))


class ContactForm(forms.Form):
    """The CRM's public contact form (the API's ``crm/contact``): a name and a way to
    answer. ``website`` is the same honeypot: hidden from people, filled in by bots."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32, validators=[PHONE])
    message = forms.CharField(label=_("Message"), required=False, max_length=5000, widget=forms.Textarea)
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("email") and not (data.get("phone") or "").strip():
            raise forms.ValidationError(_("Give an e-mail address or a phone number."))
        return data


class CallForm(ContactForm):
    """A request for a call back (the API's ``crm/schedule-call``): a phone and a time to come."""

    phone = forms.CharField(label=_("Phone"), min_length=5, max_length=32, validators=[PHONE])
    preferred_at = forms.DateTimeField(
        label=_("When to call"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_preferred_at(self) -> datetime:
        moment = self.cleaned_data["preferred_at"]
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return moment


class RepairForm(forms.Form):
    """A repair booking (the API's ``maintenance/bookings``). Visitors answer the embedded
    captcha (``challenge`` is its signed half); signed-in tenants skip it and may add photos."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32, validators=[PHONE])
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    message = forms.CharField(label=_("What needs repairing?"), max_length=5000, widget=forms.Textarea)
    date = forms.DateField(label=_("Preferred day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label=_("Preferred time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    challenge = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    captcha = forms.CharField(label=_("Your answer"), required=False, max_length=10)
    issue = forms.ChoiceField(label=_("What is the problem?"), required=False)

    SOMETHING_ELSE = "other"
    OTHER_PREFIX = "other:"
    FIRST = ("name", "email", "phone", "address", "issue", "message", "date", "time")

    def __init__(
        self,
        *args: Any,
        presets: list = (),
        others: list = (),
        questions: list = (),
        leading: set = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.presets = {str(p.pk): p for p in presets}
        groups: dict[str, list[tuple[str, str]]] = {}
        for preset in presets:
            groups.setdefault(preset.category or str(_("Common problems")), []).append((str(preset.pk), preset.name))
        others_group = [(f"{self.OTHER_PREFIX}{o.pk}", o.name) for o in others]
        others_group.append((self.SOMETHING_ELSE, str(_("Something else (describe it below)"))))
        self.fields["issue"].choices = [
            ("", _("Choose the problem")),
            *groups.items(),
            (str(_("Other problems")), others_group),
        ]
        self.fields["issue"].widget.attrs.update(
            {  # with scripts, choosing a problem brings its questions at once
                "hx-get": reverse("web-repair-questions"),
                "hx-trigger": "change",
                "hx-target": "#repair-questions",
                "hx-include": "this",
            }
        )
        self.order_fields(self.FIRST)
        self.questions = list(questions)
        # ``leading``: the ids of the questions whose answer shows another (shown or not yet).
        self.has_conditions = any(q.pk in leading for q in self.questions)
        for question in self.questions:
            field = question_field(question)
            if question.pk in leading:  # with scripts, answering it brings or hides the questions it leads to
                field.widget.attrs.update(
                    {
                        "hx-get": reverse("web-repair-questions"),
                        "hx-trigger": "change",
                        "hx-target": "#repair-questions",
                        "hx-include": "closest form",
                    }
                )
            self.fields[answer_field(question.pk)] = field

    def chosen_preset(self) -> Any:
        """The preset chosen (posted or initial), or None."""
        value = self.data.get("issue") if self.is_bound else self.initial.get("issue")
        return self.presets.get(value or "")

    def issue_ids(self) -> tuple[str | None, str | None]:
        """The preset's and the "other" issue's ids, for the booking (after ``is_valid``)."""
        value = self.cleaned_data.get("issue") or ""
        if value in self.presets:
            return value, None
        if value.startswith(self.OTHER_PREFIX):
            return None, value.removeprefix(self.OTHER_PREFIX)
        return None, None

    def answers(self) -> list[tuple[str, dict[str, Any]]]:
        """The answers given, each with its field: ``[(field, {question_id, value})]``, in
        the questions' order; unanswered questions are left out (the service checks the
        required ones)."""
        given = []
        for question in self.questions:
            name = answer_field(question.pk)
            if question.kind == "photo":
                if self.cleaned_data.get(name):
                    given.append((name, {"question_id": question.pk, "photo": self.cleaned_data[name]}))
                continue
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                given.append((name, {"question_id": question.pk, "value": value}))
        return given

    def answer_fields(self) -> list[Any]:
        return [self[answer_field(q.pk)] for q in self.questions]

    def visible_fields(self) -> list[Any]:
        """The booking's own fields; the questions render apart (their own fieldset)."""
        return [f for f in super().visible_fields() if not f.name.startswith(ANSWER_PREFIX)]


ANSWER_PREFIX = "answer_"


def answer_field(question_id: Any) -> str:
    return f"{ANSWER_PREFIX}{question_id.hex}"


def question_field(question: Any) -> forms.Field:
    """A booking question as a form field. The values are checked by the maintenance
    service (the API's rules); the form only asks for the required ones."""
    label = question.text
    if question.kind == "choice":
        choices = [(str(c), str(c)) for c in question.choices]
        return forms.CharField(label=label, required=question.required, widget=forms.RadioSelect(choices=choices))
    if question.kind == "yes_no":
        choices = [("yes", _("Yes")), ("no", _("No"))]
        return forms.CharField(label=label, required=question.required, widget=forms.RadioSelect(choices=choices))
    if question.kind == "photo":  # checked whole by the service (the one image check)
        widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        return forms.FileField(label=label, required=question.required, widget=widget)
    if question.kind == "number":
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
        return forms.CharField(label=label, required=question.required, max_length=50, widget=widget)
    return forms.CharField(label=label, required=question.required, max_length=2000)


class ApprovalForm(forms.Form):
    """An owner's answer to a repair quote: approve, or decline with a reason."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])
    reason = forms.CharField(
        label=_("Reason (needed to decline)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["reason"] = (data.get("reason") or "").strip()
        if data.get("decision") == "decline" and not data["reason"]:
            raise forms.ValidationError(_("Say why you decline the quote."))
        return data


IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # JPEG, PNG (WebP: RIFF....WEBP)


class PhotosForm(forms.Form):
    """Up to ``MAX_PHOTOS`` photos (JPEG, PNG or WebP) of what needs repairing."""

    MAX_PHOTOS = 5
    MAX_BYTES = 10 * 1024 * 1024

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        photos = self.files.getlist("photos") if self.files else []
        if len(photos) > self.MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(count)s photos.") % {"count": self.MAX_PHOTOS})
        for photo in photos:
            if photo.size > self.MAX_BYTES:
                raise forms.ValidationError(_("A photo may be at most 10 MB."))
            head = photo.read(12)
            photo.seek(0)
            if not head.startswith(IMAGE_MAGIC) and not (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
                raise forms.ValidationError(_("Photos are JPEG, PNG or WebP images."))
        data["photos"] = photos
        return data

"""The search index (passages with their vectors), jobs, chat sessions and their
transcripts, the human review queue and feedback."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from domus.core.models import BaseModel


class SourceKind(models.TextChoices):
    VERSION = "version", "Document version"
    ARTICLE = "article", "Knowledge article"


class Chunk(BaseModel):
    """One passage (at most the model's window of word-pieces) of a document version or a
    knowledge article, with its embedding (float32, ``dimension`` values) and the model that
    made it. The passages of one source are replaced together in one transaction."""

    kind = models.CharField(max_length=10, choices=SourceKind.choices)
    version = models.ForeignKey(
        "documents.DocumentVersion", null=True, blank=True, on_delete=models.CASCADE, related_name="chunks"
    )
    article = models.ForeignKey(
        "documents.KnowledgeArticle", null=True, blank=True, on_delete=models.CASCADE, related_name="chunks"
    )
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    model_id = models.CharField(max_length=100)
    dimension = models.PositiveSmallIntegerField()
    vector = models.BinaryField()

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["model_id"], name="chunk_model")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="version", version__isnull=False, article__isnull=True)
                | Q(kind="article", version__isnull=True, article__isnull=False),
                name="chunk_one_source",
            ),
            models.UniqueConstraint(fields=["version", "ordinal"], name="chunk_version_ordinal"),
            models.UniqueConstraint(fields=["article", "ordinal"], name="chunk_article_ordinal"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.version_id or self.article_id} #{self.ordinal}"


class IndexState(models.Model):
    """One row: bumped with every change of the index, so each process knows when its
    in-memory copy of the vectors is stale."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generation = models.BigIntegerField(default=0)
    stamp = models.UUIDField(null=True, blank=True, help_text="New at every change (with the generation).")

    def __str__(self) -> str:
        return f"index generation {self.generation}"


class JobKind(models.TextChoices):
    ASSIST = "assist", "Answer a question"
    REINDEX = "reindex", "Rebuild the index"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class AssistantJob(BaseModel):
    """A background job of the assistant, read by the user who started it."""

    kind = models.CharField(max_length=10, choices=JobKind.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_jobs")
    params = models.JSONField(default=dict, blank=True)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"


class ChatSession(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    title = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.title or str(self.pk)


class MessageRole(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Assistant"


class ChatMessage(BaseModel):
    """One turn of a transcript. An assistant turn keeps its citations (document version and
    article ids) and tool results as they were answered."""

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=MessageRole.choices)
    content = models.TextField()
    citations = models.JSONField(default=list, blank=True)
    tool_results = models.JSONField(default=list, blank=True)
    grounded = models.BooleanField(default=True)

    class Meta(BaseModel.Meta):
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class ReviewReason(models.TextChoices):
    REQUESTED = "requested", "Asked for by the user"
    WEAK_RETRIEVAL = "weak_retrieval", "Weak retrieval"
    NO_ANSWER = "no_answer", "The assistant could not answer"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Rejected"


class Review(BaseModel):
    """An answer waiting for a person: reviewers (the company's staff) approve, correct
    or reject it; a correction becomes a knowledge article, and the asker is told."""

    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="assistant_reviews"
    )
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_reviews")
    message = models.ForeignKey(ChatMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    question = models.TextField()
    answer = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=20, choices=ReviewReason.choices, default=ReviewReason.REQUESTED)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    corrected_answer = models.TextField(blank=True)
    reviewer_note = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    article_id = models.UUIDField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=["company", "status"], name="review_company_status")]

    def __str__(self) -> str:
        return f"{self.question[:40]} ({self.status})"


class FeedbackKind(models.TextChoices):
    ANSWER = "answer", "An answer"
    FEATURE = "feature", "A feature"


class Feedback(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assistant_feedback")
    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=FeedbackKind.choices, default=FeedbackKind.ANSWER)
    message = models.ForeignKey(ChatMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    feature = models.CharField(max_length=100, blank=True)
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5")]

    def __str__(self) -> str:
        return f"{self.kind} {self.rating}"

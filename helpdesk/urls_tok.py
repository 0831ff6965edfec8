"""Staff pages of the helpdesk's tok part."""

from django.urls import path

from .views import tok, tok_card, tok_topics

T = "tok/topics/<int:topic_id>/"
I = "tok/interactions/<int:interaction_id>/"  # noqa: E741

urlpatterns = [
    path("tok/topics/", tok_topics.topic_tree, name="topic_tree"),
    path(T, tok_topics.topic_edit, name="topic_edit"),
    path(T + "script/edit/", tok_topics.topic_script_edit, name="topic_script_edit"),
    path(T + "move/", tok_topics.topic_move, name="topic_move"),
    path(T + "retire/", tok_topics.topic_retire, name="topic_retire"),
    path(T + "reactivate/", tok_topics.topic_reactivate, name="topic_reactivate"),
    path(T + "script/", tok.topic_script, name="topic_script"),
    path("customers/<int:customer_id>/tok/new/", tok.tok_new, name="tok_new"),
    path("tok/new/", tok.tok_new_zero, name="tok_new_zero"),
    path("tok/interactions/", tok.interaction_list, name="interaction_list"),
    path("tok/interactions/export/", tok.interaction_export, name="interaction_export"),
    path(I, tok.interaction_detail, name="interaction_detail"),
    path(I + "attach/", tok.interaction_attach, name="interaction_attach"),
    path("tok/recordings/play/", tok_card.recording_play, name="recording_play"),
]

"""The readers' conversation under an article, as threads: a fixed number of queries per page.

The page's top-level comments are one query; every reply under them, at any depth, is one more
(`root__in`); the reader's own reactions one more. The tree is assembled here in Python, so the
query count does not depend on the threads' shapes (tests/comments/test_conversation.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from comments.authors import public_name
from comments.models import Comment


@dataclass
class Node:
    """One comment in a thread, with the replies shown nested under it."""

    comment: Comment
    children: list[Node] = field(default_factory=list)
    # The author answered, when the reply is shown flat (below COMMENT_MAX_DEPTH) or its parent
    # is not in view: "in reply to @name".
    in_reply_to: str = ""
    # All its replies shown at once: the reader asked for them ("Show N more replies").
    expanded: bool = False

    @property
    def reply_total(self) -> int:
        """Replies under it in view, at any depth: what its collapse control counts."""
        return sum(1 + child.reply_total for child in self.children)

    @property
    def shown_children(self) -> list[Node]:
        return self.children if self.expanded else self.children[: settings.COMMENT_REPLIES_SHOWN]

    @property
    def more_children(self) -> list[Node]:
        return [] if self.expanded else self.children[settings.COMMENT_REPLIES_SHOWN :]


def thread_nodes(roots: Iterable[Comment], replies: Iterable[Comment]) -> list[Node]:
    """Nest `replies` (oldest first) under `roots`, keeping the page's order of the roots.

    A reply nests under its parent while the parent is above COMMENT_MAX_DEPTH; deeper replies
    are stored at that depth and shown beside their parent, under the parent's own parent,
    naming whom they answer. A reply whose parent is not in view (rejected since, or hidden by
    reports) goes under the nearest ancestor in view, or its thread's top, also named.
    """
    nodes: dict[int, Node] = {comment.pk: Node(comment) for comment in roots}
    top = list(nodes.values())
    by_id = {reply.pk: reply for reply in replies}
    for reply in sorted(by_id.values(), key=lambda c: (c.created_at, c.pk)):
        nodes[reply.pk] = Node(reply)
    for reply in sorted(by_id.values(), key=lambda c: (c.created_at, c.pk)):
        node = nodes[reply.pk]
        holder = _holder(reply, nodes, by_id)
        if holder is None:
            continue  # its thread's top is not on this page
        if holder.comment.pk != reply.parent_id:
            parent = nodes.get(reply.parent_id or 0)
            node.in_reply_to = public_name(parent.comment.author) if parent is not None else ""
        holder.children.append(node)
    return top


def _holder(reply: Comment, nodes: dict[int, Node], by_id: dict[int, Comment]) -> Node | None:
    """The node to nest `reply` under: its parent if shallower, else the nearest shallower
    ancestor in view (the thread's top at worst)."""
    ancestor_id = reply.parent_id
    seen = 0
    while ancestor_id is not None and seen <= settings.COMMENT_MAX_DEPTH + len(by_id):
        node = nodes.get(ancestor_id)
        if node is not None and node.comment.depth < reply.depth:
            return node
        ancestor = by_id.get(ancestor_id)
        ancestor_id = ancestor.parent_id if ancestor is not None else None
        seen += 1
    return nodes.get(reply.root_id or 0)


@dataclass
class Step:
    """One comment of a flattened thread list: what the template writes for it, in order, with
    no recursion and no include per comment (issue 15: those were most of the page's cost)."""

    node: Node
    # Replies under it in view, at any depth (its collapse control's count), 0 without replies.
    total: int = 0
    # The nodes whose reply lists end right after this comment, innermost first.
    closes: list[Node] = field(default_factory=list)


def thread_steps(nodes: Iterable[Node]) -> list[Step]:
    """The threads in reading order, as the flat list of steps the template renders."""
    steps: list[Step] = []

    def walk(node: Node) -> None:
        steps.append(Step(node, node.reply_total if node.children else 0))
        for child in node.shown_children:
            walk(child)
        if node.children:
            steps[-1].closes.append(node)

    for node in nodes:
        walk(node)
    return steps


def find_node(nodes: Iterable[Node], pk: int) -> Node | None:
    """The node of comment `pk` anywhere in these threads."""
    for node in nodes:
        if node.comment.pk == pk:
            return node
        found = find_node(node.children, pk)
        if found is not None:
            return found
    return None


def all_comments(nodes: Iterable[Node]) -> list[Comment]:
    """Every comment in these threads, depth first."""
    out: list[Comment] = []
    for node in nodes:
        out.append(node.comment)
        out.extend(all_comments(node.children))
    return out

"""Drive v3: the ``files`` calls gspread makes (create/get/list/copy/update/delete/export),
``permissions`` (share with an e-mail address) and ``comments`` (used by gspread's copy).

Drive answers with partial resources: without ``fields`` a file is just
``{kind, id, name, mimeType}`` (as recorded), with ``fields`` exactly the
selected members.  Errors use Drive's own shape (an ``errors`` list).
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import re
from collections.abc import Callable
from typing import Any

from . import fieldmask
from .errors import ApiError, drive_error, drive_file_not_found
from .model import (
    FOLDER_MIME,
    SPREADSHEET_MIME,
    Calculator,
    DriveFile,
    Store,
    clone,
    is_valid_file_id,
    now_rfc3339,
    permission_id_for,
)
from .values import value_range

DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
DEFAULT_LIST_FIELDS = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
DEFAULT_PERMISSION_FIELDS = "kind,id,type,role,allowFileDiscovery"
ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
TYPES = ("user", "group", "domain", "anyone")

KNOWN_FILE_FIELDS = frozenset(
    """kind id name mimeType description starred trashed explicitlyTrashed parents spaces version webViewLink
    iconLink hasThumbnail thumbnailVersion viewedByMe createdTime modifiedTime modifiedByMeTime modifiedByMe
    owners lastModifyingUser shared ownedByMe capabilities viewersCanCopyContent copyRequiresWriterPermission
    writersCanShare permissions permissionIds quotaBytesUsed isAppAuthorized exportLinks size md5Checksum
    properties appProperties folderColorRgb originalFilename fullFileExtension fileExtension headRevisionId
    contentHints imageMediaMetadata videoMediaMetadata sharingUser trashingUser trashedTime driveId teamDriveId
    hasAugmentedPermissions viewedByMeTime sharedWithMeTime webContentLink thumbnailLink resourceKey
    linkShareMetadata labelInfo sha1Checksum sha256Checksum shortcutDetails contentRestrictions
    inheritedPermissionsDisabled downloadRestrictions""".split()
)


def _parse_fields(fields: str) -> fieldmask.MaskTree:
    try:
        return fieldmask.parse(fields)
    except fieldmask.FieldMaskError:
        raise _invalid_fields(fields) from None


def _invalid_fields(fields: str) -> ApiError:
    return drive_error(400, f"Invalid field selection {fields}", "invalidParameter", location="fields")


def _check_file_fields(tree: fieldmask.MaskTree, fields: str) -> None:
    for key in tree:
        if key != "*" and key not in KNOWN_FILE_FIELDS:
            raise _invalid_fields(key)


# --------------------------------------------------------------------------- resources


def _user(store: Store, email: str | None = None) -> dict[str, Any]:
    email = email or store.account_email
    return {
        "kind": "drive#user",
        "displayName": email.split("@")[0],
        "me": email.casefold() == store.account_email.casefold(),
        "permissionId": permission_id_for(email),
        "emailAddress": email,
    }


def file_resource(store: Store, f: DriveFile) -> dict[str, Any]:
    """The full file resource (what ``fields=*`` returns)."""
    is_sheet = f.id in store.spreadsheets
    link = (
        f"https://docs.google.com/spreadsheets/d/{f.id}/edit?usp=drivesdk"
        if is_sheet
        else f"https://drive.google.com/drive/folders/{f.id}"
        if f.mime_type == FOLDER_MIME
        else f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk"
    )
    owner = next((str(p.get("emailAddress")) for p in f.permissions if p.get("role") == "owner" and p.get("emailAddress")),
                 store.account_email)
    resource: dict[str, Any] = {
        "kind": "drive#file",
        "id": f.id,
        "name": store.file_name(f),
        "mimeType": f.mime_type,
    }
    if f.description:
        resource["description"] = f.description
    resource.update(
        starred=f.starred,
        trashed=f.trashed,
        explicitlyTrashed=f.trashed,
        parents=list(f.parents),
        spaces=["drive"],
        version="1",
        webViewLink=link,
        iconLink=f"https://drive-thirdparty.googleusercontent.com/16/type/{f.mime_type}",
        hasThumbnail=False,
        thumbnailVersion="0",
        viewedByMe=True,
        createdTime=f.created,
        modifiedTime=f.modified,
        modifiedByMeTime=f.modified,
        modifiedByMe=True,
        owners=[_user(store, owner)],
        lastModifyingUser=_user(store),
        shared=len(f.permissions) > 1,
        ownedByMe=owner.casefold() == store.account_email.casefold(),
        capabilities={
            "canEdit": True,
            "canCopy": True,
            "canComment": True,
            "canDelete": True,
            "canDownload": True,
            "canRename": True,
            "canShare": True,
            "canTrash": True,
            "canReadRevisions": True,
        },
        viewersCanCopyContent=True,
        copyRequiresWriterPermission=False,
        writersCanShare=True,
        permissions=[copy.deepcopy(p) for p in f.permissions],
        permissionIds=[p["id"] for p in f.permissions],
        quotaBytesUsed="0",
        isAppAuthorized=False,
    )
    if is_sheet:
        resource["exportLinks"] = {
            "text/csv": f"https://docs.google.com/spreadsheets/export?id={f.id}&exportFormat=csv",
            "application/x-vnd.oasis.opendocument.spreadsheet": f"https://docs.google.com/spreadsheets/export?id={f.id}&exportFormat=ods",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": f"https://docs.google.com/spreadsheets/export?id={f.id}&exportFormat=xlsx",
            "application/pdf": f"https://docs.google.com/spreadsheets/export?id={f.id}&exportFormat=pdf",
        }
    return resource


def render_file(store: Store, f: DriveFile, fields: str | None) -> dict[str, Any]:
    tree = _parse_fields(fields or DEFAULT_FILE_FIELDS)
    _check_file_fields(tree, fields or "")
    return fieldmask.apply(file_resource(store, f), tree)


def _file(store: Store, file_id: str, *, write: bool = False) -> DriveFile:
    """A file the caller can see: Drive answers 404 for files not shared with them (it does not
    reveal they exist) and 403 for changes a reader may not make."""
    f = store.files.get(file_id)
    if f is None or store.role_of(file_id) is None:
        raise drive_file_not_found(file_id)
    if write and not store.can_write(file_id):
        raise drive_error(403, "The user does not have sufficient permissions for this file.",
                          "insufficientFilePermissions")
    return f


def get_file(store: Store, file_id: str, *, write: bool = False) -> DriveFile:
    return _file(store, file_id, write=write)


def file_resource_v2(store: Store, f: DriveFile) -> dict[str, Any]:
    """The Drive v2 file resource (what the v2 upload endpoint answers), its commonest members."""
    v3 = file_resource(store, f)
    owner = v3["owners"][0]["emailAddress"]
    return {
        "kind": "drive#file",
        "id": f.id,
        "selfLink": f"https://www.googleapis.com/drive/v2/files/{f.id}",
        "title": v3["name"],
        "mimeType": f.mime_type,
        "editable": store.can_write(f.id),
        "createdDate": f.created,
        "modifiedDate": f.modified,
        "ownerNames": [owner],
        "lastModifyingUserName": store.account_email,
        "userPermission": {"kind": "drive#permission", "id": "me", "type": "user",
                           "role": store.role_of(f.id) or "reader", "pendingOwner": False},
        "exportLinks": v3.get("exportLinks", {}),
        "parents": [{"kind": "drive#parentReference", "id": p, "isRoot": p == store.root_folder_id}
                    for p in f.parents],
    }


def _resolve_parents(store: Store, parents: Any) -> list[str]:
    if parents is None:
        return [store.root_folder_id]
    if not isinstance(parents, list):
        raise drive_error(400, "Invalid value for parents.", "invalid", location="parents", location_type="other")
    resolved = []
    for parent in parents:
        if parent == "root" or parent == store.root_folder_id:
            resolved.append(store.root_folder_id)
            continue
        folder = store.files.get(parent)
        if folder is None:
            raise drive_file_not_found(parent)
        resolved.append(parent)
    return resolved


# --------------------------------------------------------------------------- files


def create(store: Store, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    mime = body.get("mimeType") or "application/octet-stream"
    parents = _resolve_parents(store, body.get("parents"))
    wanted_id = body.get("id")  # Drive accepts an id chosen beforehand (files.generateIds)
    if wanted_id is not None:
        if not is_valid_file_id(wanted_id):
            raise drive_error(400, f"Invalid value for id: {wanted_id}", "invalid", location="id", location_type="other")
        if wanted_id in store.files:
            raise drive_error(409, "A file already exists with the provided ID.", "duplicate")
    if mime == SPREADSHEET_MIME:
        ss = store.create_spreadsheet(body.get("name") or "Untitled spreadsheet", spreadsheet_id=wanted_id)
        f = store.files[ss.id]
        f.parents = parents
    else:
        f = store.create_file(body.get("name") or "Untitled", mime, parents, file_id=wanted_id)
    if body.get("description"):
        f.description = body["description"]
    if body.get("starred"):
        f.starred = True
    return render_file(store, f, params.get("fields"))


def get(store: Store, file_id: str, params: dict[str, Any]) -> dict[str, Any]:
    return render_file(store, _file(store, file_id), params.get("fields"))


def delete(store: Store, file_id: str) -> None:
    f = _file(store, file_id, write=True)
    if f.mime_type == FOLDER_MIME:
        for child in [c for c in store.files.values() if file_id in c.parents]:
            delete(store, child.id)
    store.delete(file_id)


def update(store: Store, file_id: str, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    f = _file(store, file_id, write=True)
    if "name" in body and body["name"] is not None:
        f.name = str(body["name"])
        ss = store.spreadsheets.get(file_id)
        if ss is not None:
            ss.properties["title"] = f.name
    for key in ("description", "starred", "trashed"):
        if key in body and body[key] is not None:
            setattr(f, key, body[key])
    store.touch(file_id)
    add = [p for p in str(params.get("addParents") or "").split(",") if p]
    remove = [p for p in str(params.get("removeParents") or "").split(",") if p]
    if add:
        f.parents = list(dict.fromkeys(f.parents + _resolve_parents(store, add)))
    if remove:
        f.parents = [p for p in f.parents if p not in remove]
    return render_file(store, f, params.get("fields"))


def copy_file(store: Store, file_id: str, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    source = _file(store, file_id)
    name = body.get("name") or f"Copy of {store.file_name(source)}"
    parents = _resolve_parents(store, body.get("parents")) if body.get("parents") else list(source.parents)
    original = store.spreadsheets.get(file_id)
    if original is not None:
        ss = store.create_spreadsheet(name, default_sheet=False)
        duplicate = clone(original)
        duplicate.id = ss.id
        duplicate.properties["title"] = name
        store.put_spreadsheet(duplicate)
        f = store.files[ss.id]
    else:
        f = store.create_file(name, source.mime_type, parents)
    f.parents = parents
    f.description = body.get("description", source.description)
    return render_file(store, f, params.get("fields"))


def _matches(query: str, store: Store) -> Callable[[DriveFile], bool]:
    return _QueryParser(query, store).parse()


def list_files(store: Store, params: dict[str, Any]) -> dict[str, Any]:
    query = str(params.get("q") or "").strip()
    test = _matches(query, store) if query else (lambda f: True)
    files = [f for f in store.files.values() if store.role_of(f.id) is not None and test(f)]
    order = str(params.get("orderBy") or "")
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        key, _, direction = clause.partition(" ")
        getter: Callable[[DriveFile], Any] = {
            "name": lambda f: store.file_name(f).casefold(),
            "name_natural": lambda f: store.file_name(f).casefold(),
            "createdTime": lambda f: f.created,
            "modifiedTime": lambda f: f.modified,
            "modifiedByMeTime": lambda f: f.modified,
            "starred": lambda f: f.starred,
            "folder": lambda f: f.mime_type != FOLDER_MIME,
        }.get(key, lambda f: f.created)
        files.sort(key=getter, reverse=direction.strip().lower() == "desc")
    try:
        page_size = max(1, min(int(params.get("pageSize") or 100), 1000))
    except ValueError:
        raise drive_error(400, "Invalid Value", "invalid", location="pageSize") from None
    offset = _decode_token(params.get("pageToken"))
    page = files[offset : offset + page_size]
    result: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False}
    if offset + page_size < len(files):
        result["nextPageToken"] = _encode_token(offset + page_size)
    result["files"] = [file_resource(store, f) for f in page]
    fields = params.get("fields") or DEFAULT_LIST_FIELDS
    tree = _parse_fields(fields)
    files_tree = tree.get("files")
    if isinstance(files_tree, dict):
        _check_file_fields(files_tree, fields)
    return fieldmask.apply(result, tree)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_token(token: Any) -> int:
    if not token:
        return 0
    try:
        padded = str(token) + "=" * (-len(str(token)) % 4)
        return int(base64.urlsafe_b64decode(padded).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise drive_error(400, "Invalid Value", "invalid", location="pageToken") from None


EXPORT_TYPES = {"text/csv": ",", "text/tab-separated-values": "\t"}


def export(store: Store, file_id: str, params: dict[str, Any]) -> tuple[bytes, str]:
    _file(store, file_id)
    mime = str(params.get("mimeType") or "")
    ss = store.spreadsheets.get(file_id)
    if ss is None:
        raise drive_error(403, "Export only supports Docs Editors files.", "fileNotExportable")
    if not mime:
        raise drive_error(400, "Required parameter: mimeType", "required", location="mimeType")
    if mime not in EXPORT_TYPES:
        raise drive_error(
            501, f"Export to {mime} is not implemented by the emulator (only CSV/TSV).", "notImplemented"
        )
    sheet = ss.sheets[0]
    grid = value_range(Calculator(ss), sheet, (0, sheet.row_count, 0, sheet.col_count), "ROWS", "FORMATTED_VALUE", "SERIAL_NUMBER")
    rows = grid.get("values", [])
    width = max((len(r) for r in rows), default=0)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=EXPORT_TYPES[mime], lineterminator="\r\n")
    for row in rows:
        writer.writerow(list(row) + [""] * (width - len(row)))
    return out.getvalue().rstrip("\r\n").encode("utf-8"), f"{mime}; charset=UTF-8"


# --------------------------------------------------------------------------- permissions


def _render_permission(p: dict[str, Any], fields: str | None, default: str = DEFAULT_PERMISSION_FIELDS) -> dict[str, Any]:
    return fieldmask.apply(p, _parse_fields(fields or default))


def create_permission(store: Store, file_id: str, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    f = _file(store, file_id, write=True)
    role, kind = body.get("role"), body.get("type")
    if not role:
        raise drive_error(400, "The permission role field is required.", "required",
                          location="permission.role", location_type="other")
    if not kind:
        raise drive_error(400, "The permission type field is required.", "required",
                          location="permission.type", location_type="other")
    if role not in ROLES:
        raise drive_error(400, f"The value of the parameter 'permission.role' is invalid: {role}", "invalid",
                          location="permission.role", location_type="other")
    if kind not in TYPES:
        raise drive_error(400, f"The value of the parameter 'permission.type' is invalid: {kind}", "invalid",
                          location="permission.type", location_type="other")
    if role == "owner" and str(params.get("transferOwnership", "")).lower() != "true":
        raise drive_error(
            403, "The transferOwnership parameter must be enabled when the permission role is 'owner'.", "forbidden"
        )
    perm: dict[str, Any] = {"kind": "drive#permission", "type": kind, "role": role}
    if kind in ("user", "group"):
        email = body.get("emailAddress")
        if not email:
            raise drive_error(400, "The permission emailAddress field is required.", "required",
                              location="permission.emailAddress", location_type="other")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(email)):
            raise drive_error(400, f"Invalid email address: {email}", "invalid",
                              location="permission.emailAddress", location_type="other")
        perm.update(id=permission_id_for(email), emailAddress=email, displayName=str(email).split("@")[0])
    elif kind == "domain":
        domain = body.get("domain")
        if not domain:
            raise drive_error(400, "The permission domain field is required.", "required",
                              location="permission.domain", location_type="other")
        perm.update(id=permission_id_for("domain:" + domain), domain=domain, displayName=domain)
    else:
        discover = bool(body.get("allowFileDiscovery"))
        perm.update(id="anyone" if discover else "anyoneWithLink", allowFileDiscovery=discover)
    perm.update(deleted=False, pendingOwner=False)
    existing = next((p for p in f.permissions if p["id"] == perm["id"]), None)
    if existing is not None:
        if existing["role"] == "owner" and role != "owner":
            existing = None  # the owner keeps owning; Drive refuses silently downgrading
        else:
            existing.update(perm)
            perm = existing
    if existing is None and not any(p["id"] == perm["id"] for p in f.permissions):
        f.permissions.append(perm)
    if role == "owner":
        for p in f.permissions:
            if p is not perm and p["role"] == "owner":
                p["role"] = "writer"
    return _render_permission(perm, params.get("fields"))


def list_permissions(store: Store, file_id: str, params: dict[str, Any]) -> dict[str, Any]:
    f = _file(store, file_id)
    result = {"kind": "drive#permissionList", "permissions": [copy.deepcopy(p) for p in f.permissions]}
    fields = params.get("fields")
    if not fields:
        result["permissions"] = [_render_permission(p, None) for p in result["permissions"]]
        return result
    return fieldmask.apply(result, _parse_fields(fields))


def _permission(f: DriveFile, permission_id: str) -> dict[str, Any]:
    for p in f.permissions:
        if p["id"] == permission_id:
            return p
    raise drive_error(404, f"Permission not found: {permission_id}.", "notFound",
                      location="permissionId", location_type="parameter")


def get_permission(store: Store, file_id: str, permission_id: str, params: dict[str, Any]) -> dict[str, Any]:
    return _render_permission(_permission(_file(store, file_id), permission_id), params.get("fields"))


def update_permission(
    store: Store, file_id: str, permission_id: str, body: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    perm = _permission(_file(store, file_id, write=True), permission_id)
    role = body.get("role")
    if role is not None:
        if role not in ROLES:
            raise drive_error(400, f"The value of the parameter 'permission.role' is invalid: {role}", "invalid",
                              location="permission.role", location_type="other")
        if perm["role"] == "owner" and role != "owner":
            raise drive_error(403, "The owner of a file cannot be downgraded.", "cannotModifyOwner")
        perm["role"] = role
    return _render_permission(perm, params.get("fields"))


def delete_permission(store: Store, file_id: str, permission_id: str) -> None:
    f = _file(store, file_id, write=True)
    perm = _permission(f, permission_id)
    if perm["role"] == "owner":
        raise drive_error(403, "The owner of a file cannot be removed.", "cannotRemoveOwner")
    f.permissions.remove(perm)


# --------------------------------------------------------------------------- comments


def list_comments(store: Store, file_id: str, params: dict[str, Any]) -> dict[str, Any]:
    f = _file(store, file_id)
    include_deleted = str(params.get("includeDeleted", "")).lower() == "true"
    comments = [c for c in f.comments if include_deleted or not c.get("deleted")]
    result = {"kind": "drive#commentList", "comments": comments}
    fields = params.get("fields")
    return fieldmask.apply(result, _parse_fields(fields)) if fields else result


def create_comment(store: Store, file_id: str, body: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    f = _file(store, file_id)
    if not body.get("content"):
        raise drive_error(400, "Required: content", "required", location="content", location_type="other")
    comments = f.comments
    comment = {
        "kind": "drive#comment",
        "id": f"AAAA{len(comments):08d}",
        "createdTime": now_rfc3339(),
        "modifiedTime": now_rfc3339(),
        "author": {"kind": "drive#user", "displayName": store.account_email.split("@")[0], "me": True},
        "htmlContent": body["content"],
        "content": body["content"],
        "deleted": False,
        "resolved": False,
        "replies": [],
    }
    if body.get("anchor"):
        comment["anchor"] = body["anchor"]
    comments.append(comment)
    return fieldmask.apply(comment, _parse_fields(params.get("fields") or "*"))


# --------------------------------------------------------------------------- query language


_Q_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<op>!=|<=|>=|=|<|>|\(|\))|(?P<word>[A-Za-z_][\w.]*))"
)


class _QueryParser:
    """Drive's ``q``: ``mimeType = '...' and name = 'x' and 'id' in parents and trashed = false``."""

    def __init__(self, query: str, store: Store) -> None:
        self.store = store
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(query):
            if query[pos:].strip() == "":
                break
            m = _Q_TOKEN.match(query, pos)
            if not m:
                raise self._error(query)
            kind = m.lastgroup or "word"
            text = m.group(kind)
            if kind == "str":
                text = re.sub(r"\\(.)", r"\1", text[1:-1])
            self.tokens.append((kind, text))
            pos = m.end()
        self.pos = 0
        self.query = query

    def _error(self, query: str | None = None) -> ApiError:
        return drive_error(400, "Invalid Value", "invalid", location="q")

    def parse(self) -> Callable[[DriveFile], bool]:
        test = self._or()
        if self.pos != len(self.tokens):
            raise self._error()
        return test

    def _peek_word(self, *words: str) -> bool:
        return self.pos < len(self.tokens) and self.tokens[self.pos][0] == "word" and self.tokens[self.pos][1].lower() in words

    def _or(self) -> Callable[[DriveFile], bool]:
        parts = [self._and()]
        while self._peek_word("or"):
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def _and(self) -> Callable[[DriveFile], bool]:
        parts = [self._not()]
        while self._peek_word("and"):
            self.pos += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def _not(self) -> Callable[[DriveFile], bool]:
        if self._peek_word("not"):
            self.pos += 1
            inner = self._not()
            return lambda f: not inner(f)
        if self.pos < len(self.tokens) and self.tokens[self.pos] == ("op", "("):
            self.pos += 1
            inner = self._or()
            if self.pos >= len(self.tokens) or self.tokens[self.pos] != ("op", ")"):
                raise self._error()
            self.pos += 1
            return inner
        return self._comparison()

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise self._error()
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def _comparison(self) -> Callable[[DriveFile], bool]:
        left = self._take()
        if left[0] == "str":  # 'value' in field
            if self._take() != ("word", "in"):
                raise self._error()
            field = self._take()[1]
            return self._membership(field, left[1])
        field = left[1]
        op_tok = self._take()
        op = op_tok[1].lower()
        value_tok = self._take()
        if op == "in":  # gspread writes `parents in "folder"`
            return self._membership(field, value_tok[1])
        value: Any = value_tok[1]
        if value_tok[0] == "word":
            if value.lower() not in ("true", "false"):
                raise self._error()
            value = value.lower() == "true"
        getter = self._getter(field)

        def test(f: DriveFile) -> bool:
            actual = getter(f)
            if op == "contains":
                if field == "fullText":
                    return str(value).casefold() in actual.casefold()
                return str(value).casefold() in str(actual).casefold()
            if op == "=":
                return actual == value
            if op == "!=":
                return actual != value
            if op in ("<", ">", "<=", ">="):
                a, b = str(actual), str(value)
                return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
            raise self._error()

        return test

    def _getter(self, field: str) -> Callable[[DriveFile], Any]:
        store = self.store
        getters: dict[str, Callable[[DriveFile], Any]] = {
            "name": lambda f: store.file_name(f),
            "fullText": lambda f: f"{store.file_name(f)} {f.description or ''}",
            "mimeType": lambda f: f.mime_type,
            "trashed": lambda f: f.trashed,
            "starred": lambda f: f.starred,
            "createdTime": lambda f: f.created,
            "modifiedTime": lambda f: f.modified,
            "sharedWithMe": lambda f: False,
            "description": lambda f: f.description or "",
        }
        if field not in getters:
            raise self._error()
        return getters[field]

    def _membership(self, field: str, value: str) -> Callable[[DriveFile], bool]:
        store = self.store
        if field == "parents":
            target = store.root_folder_id if value == "root" else value
            return lambda f: target in f.parents
        if field in ("owners", "writers", "readers"):
            roles = {"owners": ("owner",), "writers": ("owner", "writer"), "readers": ("owner", "writer", "commenter", "reader")}[field]
            wanted = store.account_email if value == "me" else value
            return lambda f: any(p.get("emailAddress") == wanted and p["role"] in roles for p in f.permissions)
        raise self._error()

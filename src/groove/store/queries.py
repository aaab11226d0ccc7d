"""Every CozoScript groove runs against a store, as constants.

Values are never spliced in: each script names its inputs as `$parameters`.
A stored relation is read with its key bound inside the atom
(`*learning{id: $id}`), a point lookup; a filter after the atom scans it all.
"""

L_COLS = ("id, scope, category, description, pattern_json, insight, confidence, created_at, "
          "updated_at, source_type, source_json")
U_COLS = ("learning_id, times_injected, times_helpful, times_ignored, times_contradicted, "
          "last_used, confidence_alpha, confidence_beta")
P_COLS = "param_name, value, uncertainty, observations, prior_alpha, prior_beta, updated_at"
R_COLS = "from_id, relation_type, to_id, weight, created_at"

# Written columns: the read columns plus the negated rank keys (see schema v5).
W_COLS = f"{L_COLS}, rank_confidence, rank_updated"
# Every write of a vector, of a learning (its scope or category may change) and every
# delete also moves the vector epoch (schema v9), in the same transaction: a side file of
# vectors that records another epoch is stale.
BUMP_VECTOR_EPOCH = """
{?[key, epoch, token] := *vector_epoch{key, epoch: e}, key = 0, epoch = e + 1,
    token = to_string(rand_uuid_v4())
 :put vector_epoch {key => epoch, token}}"""
VECTOR_EPOCH = "?[epoch, token] := *vector_epoch{key: 0, epoch, token}"
PUT_LEARNINGS = f"""
{{?[{W_COLS}] <- $learnings
 :put learning {{id => {W_COLS.split(", ", 1)[1]}}}}}
{{in[{W_COLS}] <- $learnings
 ?[handle, id] := in[{", ".join(c if c == "id" else "_" for c in W_COLS.split(", "))}],
    n = length(id), handle = lowercase(slice_string(id, n - 8, n))
 :put learning_handle {{handle, id}}}}{BUMP_VECTOR_EPOCH}"""
INSERT_LEARNINGS = PUT_LEARNINGS.replace(":put learning {", ":insert learning {")
# The columns a bulk store (`Engine.put_rows`, no script) writes for new learnings: the
# same rows INSERT_LEARNINGS + PUT_USAGE + PUT_EMBEDDINGS write, the epoch moved once.
LEARNING_COLUMNS = tuple(W_COLS.split(", "))
USAGE_COLUMNS = tuple(U_COLS.split(", "))
HANDLE_COLUMNS = ("handle", "id")
EMBEDDING_COLUMNS = ("learning_id", "model", "embedding")
EPOCH_COLUMNS = ("key", "epoch", "token")
PUT_USAGE = f"""
{{?[{U_COLS}] <- $usage
 :put usage_stats {{learning_id => {U_COLS.split(", ", 1)[1]}}}}}"""
PUT_EMBEDDINGS = """
{?[learning_id, model, embedding] <- $embeddings
 :put learning_embeddings {learning_id => model, embedding}}""" + BUMP_VECTOR_EPOCH
PUT_RELATIONS = f"""
{{?[{R_COLS}] <- $relations
 :put learning_relations {{from_id, relation_type, to_id => weight, created_at}}}}"""
RM_RELATIONS = """
{?[from_id, relation_type, to_id] <- $relations
 :rm learning_relations {from_id, relation_type, to_id}}"""
PUT_PARAMS = f"""
{{?[{P_COLS}] <- $params
 :put adaptive_params {{param_name => {P_COLS.split(", ", 1)[1]}}}}}"""
SET_CONFIDENCE = """
{?[id, confidence, updated_at, rank_confidence, rank_updated] <-
    [[$id, $confidence, $updated_at, -$confidence, -$updated_at]]
 :update learning {id => confidence, updated_at, rank_confidence, rank_updated}}"""
DELETE_LEARNING = """
{?[id] <- [[$id]] :rm learning {id}}
{?[learning_id] <- [[$id]] :rm usage_stats {learning_id}}
{?[learning_id] <- [[$id]] :rm learning_embeddings {learning_id}}
{?[from_id, relation_type, to_id] := *learning_relations{from_id: $id, relation_type, to_id},
    from_id = $id
 :rm learning_relations {from_id, relation_type, to_id}}
{?[from_id, relation_type, to_id] := *learning_relations:by_to{to_id: $id, from_id,
    relation_type}, to_id = $id
 :rm learning_relations {from_id, relation_type, to_id}}
{?[session_id, learning_id] := *injection:by_learning{learning_id: $id, session_id},
    learning_id = $id
 :rm injection {session_id, learning_id}}
{?[handle, id] <- [[lowercase(slice_string($id, length($id) - 8, length($id))), $id]]
 :rm learning_handle {handle, id}}
""" + BUMP_VECTOR_EPOCH

I_COLS = ("session_id, learning_id, via, prompt_index, tier, score, similarity, injected_at, "
          "outcome, outcome_source, evidence, outcome_at")
PUT_INJECTIONS = f"""
{{?[{I_COLS}] <- $injections
 :put injection {{session_id, learning_id => {I_COLS.split(", ", 2)[2]}}}}}"""
SESSION_INJECTIONS = (f"?[{I_COLS}] := *injection{{session_id: $session, "
                      f"{I_COLS.split(', ', 1)[1]}}}, session_id = $session")
LEARNING_INJECTIONS = (f"?[{I_COLS}] := *injection:by_learning{{learning_id: $id, "
                       f"session_id}}, learning_id = $id, *injection{{{I_COLS}}}")
GET_INJECTION = (f"?[{I_COLS}] := *injection{{session_id: $session, learning_id: $id, "
                 f"{I_COLS.split(', ', 2)[2]}}}, session_id = $session, learning_id = $id")

C_COLS = "session_id, turn, rule, learning_id, quote, status, captured_at"
PUT_CAPTURES = f"""
{{?[{C_COLS}] <- $captures
 :put capture {{session_id, turn, rule => {C_COLS.split(", ", 3)[3]}}}}}"""
GET_CAPTURE = (f"?[{C_COLS}] := *capture{{session_id: $session, turn: $turn, rule: $rule, "
               f"{C_COLS.split(', ', 3)[3]}}}, session_id = $session, turn = $turn, "
               "rule = $rule")
ALL_CAPTURES = f"?[{C_COLS}] := *capture{{{C_COLS}}}"
CAPTURES_OF = (f"?[{C_COLS}] := *capture:by_learning{{learning_id: $id, session_id, turn, "
               f"rule}}, learning_id = $id, *capture{{{C_COLS}}}")

GET_LEARNING = f"?[{L_COLS}] := *learning{{id: $id, {L_COLS.split(', ', 1)[1]}}}, id = $id"
GET_LEARNINGS = f"?[{L_COLS}] := id in $ids, *learning{{{L_COLS}}}"
ALL_LEARNINGS = f"?[{L_COLS}] := *learning{{{L_COLS}}}"
ALL_TEXTS = ("?[id, scope, category, description, insight] := "
             "*learning{id, scope, category, description, insight}")
BY_SCOPE = (f"?[{L_COLS}] := *learning:by_scope{{scope: $scope, id}}, scope = $scope, "
            f"*learning{{{L_COLS}}} :order created_at")
BY_CATEGORY = (f"?[{L_COLS}] := *learning:by_category{{category: $category, id}}, "
               f"category = $category, *learning{{{L_COLS}}} :order created_at")
GET_USAGE = f"?[{U_COLS}] := *usage_stats{{learning_id: $id, {U_COLS.split(', ', 1)[1]}}}, " \
            "learning_id = $id"
ALL_USAGE = f"?[{U_COLS}] := *usage_stats{{{U_COLS}}}"
GET_USAGES = f"?[{U_COLS}] := learning_id in $ids, *usage_stats{{{U_COLS}}}"
OUTGOING = f"?[{R_COLS}] := *learning_relations{{from_id: $id, relation_type, to_id, weight, " \
           "created_at}, from_id = $id"
INCOMING = f"?[{R_COLS}] := *learning_relations:by_to{{to_id: $id, from_id, relation_type}}, " \
           "to_id = $id, *learning_relations{from_id, relation_type, to_id, weight, created_at}"
ALL_RELATIONS = f"?[{R_COLS}] := *learning_relations{{{R_COLS}}}"
GET_PARAM = f"?[{P_COLS}] := *adaptive_params{{param_name: $name, " \
            f"{P_COLS.split(', ', 1)[1]}}}, param_name = $name"
ALL_PARAMS = f"?[{P_COLS}] := *adaptive_params{{{P_COLS}}} :order param_name"
EXISTING_IDS = "?[id] := id in $ids, *learning{id}"
COUNT = "?[count(id)] := *learning{id}"
COUNT_BY_SCOPE = "?[scope, count(id)] := *learning{id, scope}"
COUNT_BY_CATEGORY = "?[category, count(id)] := *learning{id, category}"
# Paged by key so that loading 100,000 vectors never holds them all as Python rows;
# results come sorted by id and `:limit` without `:order` stops the scan early.
VECTOR_PAGE = """?[id, embedding] := *learning_embeddings{learning_id: id, embedding}, id > $after
:limit $page"""
# The small indices give every learning's scope and category without reading its text.
ALL_SCOPES = "?[id, scope] := *learning:by_scope{scope, id}"
ALL_CATEGORIES = "?[id, category] := *learning:by_category{category, id}"
GET_EMBEDDING = ("?[model, embedding] := *learning_embeddings{learning_id: $id, model, "
                 "embedding}")
EMBEDDING_MODELS = "?[model, count(learning_id)] := *learning_embeddings{learning_id, model}"
INJECTION_ORDER = """?[rank_confidence, rank_updated, id] :=
    *learning:by_rank{rank_confidence, rank_updated, id}
:limit $limit"""
INJECTION_ORDER_SCOPED = f"""?[{L_COLS}] := scope in $scopes, *learning:by_scope{{scope, id}},
    *learning{{{L_COLS}}}
:order -confidence, -updated_at
:limit $limit"""
IDS_WITH_PREFIX = "?[id] := *learning{id}, starts_with(id, $prefix) :limit 50"
IDS_WITH_HANDLE = ("?[id] := *learning_handle{handle: $handle, id}, ends_with(id, $suffix) "
                   ":limit 50")
LIST_ORDER = {"confidence": ":order rank_confidence, rank_updated",
              "recent": ":order rank_updated"}
# Unfiltered lists read an index whose key order is the wanted order: no sort at all.
LIST_ALL = {
    "confidence": "?[rank_confidence, rank_updated, id] := "
                  "*learning:by_rank{rank_confidence, rank_updated, id}",
    "recent": "?[rank_updated, id] := *learning:by_recent{rank_updated, id}",
}
SCHEMA_VERSION = "?[max(version)] := *schema_version{version}"
COUNT_BY_RECENT = "?[count(id)] := *learning:by_recent{id}"
NEWEST_UPDATE = "?[rank_updated] := *learning:by_recent{rank_updated} :limit 1"
USAGE_CHECKSUM = ("?[count(l), sum(a), sum(b), sum(u)] := *usage_stats{learning_id: l, "
                  "confidence_alpha: a, confidence_beta: b, last_used}, "
                  "u = if(is_null(last_used), 0, last_used)")
"""Moves with any usage row's posterior or last use (what the saved features hold)."""
PR_COLS = ("id, org, learning_json, original_id, proposed_by, from_tier, proposed_at, status, "
           "curator, decided_at, reason, accepted_id")
PUT_PROPOSALS = f"""
{{?[{PR_COLS}] <- $proposals
 :put proposal {{id => {PR_COLS.split(", ", 1)[1]}}}}}"""
GET_PROPOSAL = f"?[{PR_COLS}] := *proposal{{id: $id, {PR_COLS.split(', ', 1)[1]}}}, id = $id"
ALL_PROPOSALS = f"?[{PR_COLS}] := *proposal{{{PR_COLS}}} :order proposed_at"
RELATIONS_AMONG = f"""?[{R_COLS}] := id in $ids, *learning_relations{{from_id: id, relation_type,
    to_id, weight, created_at}}, from_id = id
?[{R_COLS}] := id in $ids, *learning_relations:by_to{{to_id: id, from_id, relation_type}},
    to_id = id, *learning_relations{{from_id, relation_type, to_id, weight, created_at}}"""
ALL_IDS = "?[id] := *learning{id}"
ALL_USAGE_IDS = "?[id] := *usage_stats{learning_id: id}"
ALL_HANDLES = "?[handle, id] := *learning_handle{handle, id}"
ALL_VECTOR_IDS = "?[id] := *learning_embeddings{learning_id: id}"
ALL_VECTORS = "?[id, embedding] := *learning_embeddings{learning_id: id, embedding}"
ANY_VECTOR = "?[id] := *learning_embeddings{learning_id: id} :limit 1"
ANY_RELATION = "?[id] := *learning_relations{from_id: id} :limit 1"
VECTOR_SAMPLE = """?[id, embedding, scope, category] := id in $ids,
    *learning_embeddings{learning_id: id, embedding}, *learning{id, scope, category}"""
FEATURE_LEARNINGS = ("?[id, updated_at, source_type, lineage] := *learning{id, updated_at, "
                     "source_type, source_json}, "
                     "lineage = if(source_type == 'promoted', source_json, null)")
"""What ranking reads about each learning (`features.RankingFeatures`); the source's text
only where it names an original."""
FEATURE_USAGE = ("?[learning_id, last_used, confidence_alpha, confidence_beta] := "
                 "*usage_stats{learning_id, last_used, confidence_alpha, confidence_beta}")

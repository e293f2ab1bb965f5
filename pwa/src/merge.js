// Three-way merge of a feature edit that met a newer version on the
// server. The server answers a conflict with the attributes at the version
// the phone edited (the base); against it each field is taken from the
// side that changed it. Only a field both sides changed, to different
// values, is asked about, so one phone's "keep mine" never undoes what the
// other phone did to other fields (issue 15).

const empty = (v) => v === undefined || v === null || v === '';

// same compares two attribute values as the server stores them: a number
// read back from the history may be an integer where the phone sent 800.0.
export function same(a, b) {
  if (empty(a) || empty(b)) return empty(a) && empty(b);
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return a === b;
}

// mergeFeature merges mine (the op's attributes: the fields the phone
// sent) with server (the current attributes) against base. It answers the
// attributes to send and the fields to ask about: [{name, mine, server}].
// choices answers asked fields already: name → 'mine' | 'server'.
export function mergeFeature(base, mine, server, choices = {}) {
  const names = new Set([...Object.keys(mine), ...Object.keys(server), ...Object.keys(base)]);
  const attrs = {};
  const asks = [];
  for (const k of names) {
    const mineChanged = k in mine && !same(mine[k], base[k]);
    const serverChanged = !same(server[k], base[k]);
    let v = server[k];
    if (mineChanged && serverChanged && !same(mine[k], server[k])) {
      if (choices[k] === 'mine') v = mine[k];
      else if (choices[k] !== 'server') asks.push({ name: k, mine: mine[k], server: server[k] });
    } else if (mineChanged) {
      v = mine[k];
    }
    // A field emptied by the merge is sent as null: the server merges the
    // attributes sent into its own, and one left out would stay.
    attrs[k] = empty(v) ? null : v;
  }
  return { attrs, asks };
}

// mergedOp is the op that replaces a conflicted putFeature: the merged
// attributes as an edit of the server's current version. Photos are the
// server's plus those the phone added, so none is lost either way.
export function mergedOp(op, server, attrs, opId) {
  const photos = [...(server.photos || [])];
  for (const p of op.feature.photos || []) if (!photos.includes(p)) photos.push(p);
  return {
    type: op.type, id: op.id, opId, owner: op.owner, createdAt: op.createdAt, state: 'waiting', merged: true,
    feature: { ...op.feature, opId, attrs, photos: photos.slice(0, 10), baseVersion: server.version },
  };
}

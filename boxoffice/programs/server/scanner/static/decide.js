// The access decision on the device, for when the server does not answer in time.
//
// The same rules, in the same order, as boxoffice/domain/access.py (decide): the band (unknown,
// status, signature, event), the gate (direction), then for an entry the series (status, window),
// the band's assignment, its category at this gate, presence (re-entry policy) and room; exits
// skip the series rules. What the device knows is what the server sent it last (the gate's
// scannables: assigned bands of the categories this gate admits, with their status and presence;
// the series' window, status and policy) plus its own taps since. Room offline is the lease of
// places the server set aside for this device: none left, no entry.

export function decideOffline(f) {
  // f: {direction, now (ms), band (scannable or null), signatureValid (true/false/null),
  //     genuineElsewhere (a band not in the list whose payload verifies: its category id, or null),
  //     rules: {series_status, checkin_opens_at, checkin_closes_at, reentry_policy, gate_kind,
  //             gate_categories}, placesLeft (number, or null when no lease is needed)}
  const band = f.band;
  if (!band) {
    if (f.genuineElsewhere) {
      // Genuine (signed for this UID by the event) but not on this gate's list: either its
      // category may not use this gate, or it is not assigned to the series.
      if (f.direction === "in" && f.rules.gate_categories.length
          && !f.rules.gate_categories.includes(f.genuineElsewhere)) return deny("category_not_allowed");
      if (f.direction === "in") return deny("not_assigned");
    }
    if (!f.genuineElsewhere) return deny("unknown_band");
  }
  if (band) {
    const status = { pending: "band_pending", void: "band_void", lost: "band_lost" }[band.status];
    if (status) return deny(status);
    if (f.signatureValid === false) return deny("bad_signature");
  }
  const kind = f.rules.gate_kind;
  if ((f.direction === "in" && kind === "exit") || (f.direction === "out" && kind === "entry")) {
    return deny("wrong_direction");
  }
  const policy = f.rules.reentry_policy;
  const inside = Boolean(band && band.inside);
  const entered = Boolean(band && band.has_entered);
  if (f.direction === "out") {
    if (policy !== "unlimited" && !inside) return deny("not_inside");
    return allow("exit_ok");
  }
  if (f.rules.series_status !== "active") return deny("series_not_active");
  if (f.now < Date.parse(f.rules.checkin_opens_at)) return deny("window_not_open");
  if (f.now >= Date.parse(f.rules.checkin_closes_at)) return deny("window_closed");
  if (!band) return deny("not_assigned");
  if (f.rules.gate_categories.length && !f.rules.gate_categories.includes(band.category_id)) {
    return deny("category_not_allowed");
  }
  if (policy !== "unlimited" && inside) return deny("already_inside");
  if (policy === "single" && entered) return deny("no_reentry");
  const takesPlace = !inside;
  if (takesPlace && f.placesLeft !== null && f.placesLeft <= 0) {
    return { ...deny("series_full"), leaseUsedUp: true };
  }
  return { ...allow(entered ? "reentry" : "ok"), takesPlace };
}

function deny(reason) {
  return { allowed: false, reason, takesPlace: false };
}

function allow(reason) {
  return { allowed: true, reason, takesPlace: false };
}

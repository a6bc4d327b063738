// What the loader and the welcome panel both know of a share link; esbuild bundles it into each.

export const REF = /^[A-Za-z0-9]{4,16}$/; // as api.py's REFERRAL_CODE
export const KEPT = "loyalty:ref"; // the share link's code, kept in sessionStorage for the visit

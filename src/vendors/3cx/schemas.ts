import { z } from "zod";

/**
 * The 3CX WebhooksApi add-on (K2M Software; the same event model is sold by Creomate and Komplit).
 * Two wire formats:
 * - `k2m-json`: POST JSON with PascalCase keys, every value a string except `FileUrls` (an array).
 * - `form`: the legacy key=value scheme, lowercase keys, `hangupincoming`/`hangupoutgoing` in place of
 *   the *_started events, a `title` in place of `Duration`, and the recording as a bare URL.
 * Field sets follow the add-on's document event by event.
 */

/** `yymmddHHMMSS_N-L`: call start in the PBX's local time, the call number, the leg (0 ringing/missed, 1.. answered). */
export const CallIdPattern = /^\d{12}_\d+-\d+$/;
const Id = z.string().regex(CallIdPattern, "expected yymmddHHMMSS_N-L, e.g. 230307114903_10-0");
/** Numbers as the trunk delivers them: digits, no `+`. */
const Callerid = z
  .string()
  .regex(/^(\d{3,15}|MAKECALL)$/, "expected the number's digits as the trunk delivers them (no +)");
/** An extension, queue or IVR number. */
const User = z.string().regex(/^\d{2,6}$/, "expected an extension, queue or IVR number");
const Usertype = z.enum(["ext", "queue", "other"]);
const Trtype = z.enum(["NotDef", "Blind", "Attended"]);
const Finishtype = z.enum(["Ok", "Missed"]);
const Transfer = z.enum(["True", "False"]);
/** Talk time `mm:ss`, or "" when missed. */
const Duration = z.string().regex(/^(\d{2,}:[0-5]\d)?$/, 'expected mm:ss talk time, or "" when missed');
const RecordingUrl = z
  .string()
  .regex(
    /^https:\/\/[^/]+:\d+\/webapi\/recording\/\d{12}_\d+-\d+-\d+\.mp3$/,
    "expected https://<fqdn>:5001/webapi/recording/<Id>-<n>.mp3",
  );

export const K2mRingingSchema = z.strictObject({
  Event: z.literal("ringing"),
  Callerid,
  User,
  Usertype,
  Did: z.string(),
  Id,
});
export const K2mIncomingCallStartedSchema = z.strictObject({
  Event: z.literal("incomingcall_started"),
  Callerid,
  User,
  Trtype,
  Did: z.string(),
  Id,
});
export const K2mDialingSchema = z.strictObject({ Event: z.literal("dialing"), Callerid, User, Id });
export const K2mOutgoingCallStartedSchema = z.strictObject({
  Event: z.literal("outgoingcall_started"),
  Callerid,
  User,
  Trtype,
  Did: z.string(),
  Id,
});
const endFields = { Callerid, User, Finishtype, Transfer, Did: z.string(), Duration, Id };
export const K2mIncomingSchema = z.strictObject({ Event: z.literal("incoming"), ...endFields });
export const K2mOutgoingSchema = z.strictObject({ Event: z.literal("outgoing"), ...endFields });
export const K2mRecordingSchema = z.strictObject({
  Event: z.literal("recording"),
  FileUrls: z.array(RecordingUrl).min(1),
  Callerid,
  User,
  Id,
});

/** `DID-<digits>` rule names in the form scheme; "" on outbound calls. */
const FormDid = z.string();
/** `<DID>:Answered call from <num> (m:ss)` and the like. */
const Title = z
  .string()
  .regex(
    /^(.+:Answered call from \S+ \(\d+:[0-5]\d\)|.+:Missed call by (queue|IVR|extension) \d+ from \S+|Successful call to \S+ \(\d+:[0-5]\d\)|Unanswered call to \S+)$/,
    "expected a title such as 'DID-420222000320:Answered call from 420774852629 (0:07)'",
  );

export const FormRingingSchema = z.strictObject({
  event: z.literal("ringing"),
  callerid: Callerid,
  user: User,
  usertype: Usertype,
  did: FormDid,
  id: Id,
});
export const FormHangupIncomingSchema = z.strictObject({
  event: z.literal("hangupincoming"),
  callerid: Callerid,
  user: User,
  did: FormDid,
  trtype: Trtype,
  id: Id,
});
export const FormDialingSchema = z.strictObject({
  event: z.literal("dialing"),
  callerid: Callerid,
  user: User,
  id: Id,
});
export const FormHangupOutgoingSchema = z.strictObject({
  event: z.literal("hangupoutgoing"),
  callerid: Callerid,
  user: User,
  did: FormDid,
  trtype: Trtype,
  id: Id,
});
const formEnd = {
  callerid: Callerid,
  user: User,
  finishtype: Finishtype,
  transfer: Transfer,
  did: FormDid,
  title: Title,
  id: Id,
};
export const FormIncomingSchema = z.strictObject({ event: z.literal("incoming"), ...formEnd });
export const FormOutgoingSchema = z.strictObject({ event: z.literal("outgoing"), ...formEnd });
/** The form scheme sends a finished recording as nothing but its URL (the wire form). */
export const FormRecordingSchema = RecordingUrl;
/** The same event as pbxsim holds it before encoding: `{ url }`. */
export const FormRecordingPayloadSchema = z.strictObject({ url: RecordingUrl });

export interface ThreeCxEventDef {
  name: string;
  profile: "k2m-json" | "form";
  description: string;
  schema: z.ZodType;
}

export const threeCxEvents: ThreeCxEventDef[] = [
  {
    name: "ringing",
    profile: "k2m-json",
    description: "An IVR, queue or extension starts ringing (one event per ringing target)",
    schema: K2mRingingSchema,
  },
  {
    name: "incomingcall_started",
    profile: "k2m-json",
    description: "An operator picked up an inbound call",
    schema: K2mIncomingCallStartedSchema,
  },
  { name: "dialing", profile: "k2m-json", description: "An extension dials out", schema: K2mDialingSchema },
  {
    name: "outgoingcall_started",
    profile: "k2m-json",
    description: "The remote party answered an outbound call",
    schema: K2mOutgoingCallStartedSchema,
  },
  {
    name: "incoming",
    profile: "k2m-json",
    description: "An inbound call or leg ended (answered or missed)",
    schema: K2mIncomingSchema,
  },
  {
    name: "outgoing",
    profile: "k2m-json",
    description: "An outbound call ended (answered or missed)",
    schema: K2mOutgoingSchema,
  },
  {
    name: "recording",
    profile: "k2m-json",
    description: "The recording of a call segment is ready",
    schema: K2mRecordingSchema,
  },
  {
    name: "ringing",
    profile: "form",
    description: "An IVR, queue or extension starts ringing (one event per ringing target)",
    schema: FormRingingSchema,
  },
  {
    name: "hangupincoming",
    profile: "form",
    description: "An operator picked up an inbound call",
    schema: FormHangupIncomingSchema,
  },
  { name: "dialing", profile: "form", description: "An extension dials out", schema: FormDialingSchema },
  {
    name: "hangupoutgoing",
    profile: "form",
    description: "The remote party answered an outbound call",
    schema: FormHangupOutgoingSchema,
  },
  {
    name: "incoming",
    profile: "form",
    description: "An inbound call or leg ended, with a title",
    schema: FormIncomingSchema,
  },
  {
    name: "outgoing",
    profile: "form",
    description: "An outbound call ended, with a title",
    schema: FormOutgoingSchema,
  },
  {
    name: "recording",
    profile: "form",
    description: "The recording is ready (sent as nothing but its URL)",
    schema: FormRecordingPayloadSchema,
  },
];

export function threeCxEvent(profile: string, name: string): ThreeCxEventDef | undefined {
  return threeCxEvents.find((e) => e.profile === profile && e.name === name);
}

// ua-parser-js 1.0.x ships no types; this declares the part lib/activity/user-agent.ts uses.
declare module "ua-parser-js" {
  type Named = { name?: string; version?: string };
  export type UAParserResult = {
    browser: Named & { major?: string };
    os: Named;
    device: { type?: string; vendor?: string; model?: string };
  };
  export class UAParser {
    constructor(userAgent?: string);
    getResult(): UAParserResult;
  }
}

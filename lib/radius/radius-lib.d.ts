// radius 1.1.4 ships no types; this declares the part lib/radius/packet.ts uses.
declare module "radius" {
  type RawAttribute = [number, Buffer];
  type Attribute = [string | number, string | number | Buffer];
  export type Decoded = {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    raw_attributes: RawAttribute[];
  };
  const radius: {
    decode_without_secret(args: { packet: Buffer }): Decoded;
    encode(args: {
      code: string;
      identifier: number;
      authenticator?: Buffer;
      attributes: Attribute[];
      secret: string;
      add_message_authenticator?: boolean;
    }): Buffer;
  };
  export default radius;
}

// A DNS server for tests: answers A queries for the names it is given, "no such name" for any
// other, and an empty answer for every other record type (AAAA ...). Enough for a resolver
// (glibc's getaddrinfo, as a static sbdeploy does it) to find a loopback service by name.
//
// Usage: node dns.mjs --listen ADDRESS[:PORT] NAME=IPV4...
// ADDRESS must be a loopback address (127.0.0.0/8); PORT defaults to 53, which resolv.conf
// cannot change. Prints "listening on dns://ADDRESS:PORT" once bound; stops on SIGTERM.
import dgram from 'node:dgram';

let listen;
const names = new Map();  // lower-case name -> IPv4
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--listen') listen = args[++i];
  else if (/^[^=]+=\d+\.\d+\.\d+\.\d+$/.test(args[i])) {
    const [name, ip] = args[i].split('=');
    names.set(name.toLowerCase().replace(/\.$/, ''), ip);
  } else {
    console.error(`dns: unknown argument ${args[i]}`);
    process.exit(2);
  }
}
const [address, port = '53'] = (listen ?? '').split(':');
if (!address.startsWith('127.')) {
  console.error('dns: --listen takes a loopback address (127.x.y.z)');
  process.exit(2);
}

// The question's name and where the question ends (after QTYPE and QCLASS).
function question(packet) {
  const labels = [];
  let at = 12;
  while (at < packet.length && packet[at] !== 0) {
    labels.push(packet.subarray(at + 1, at + 1 + packet[at]).toString('latin1'));
    at += 1 + packet[at];
  }
  return { name: labels.join('.').toLowerCase(), type: packet.readUInt16BE(at + 1), end: at + 5 };
}

const socket = dgram.createSocket('udp4');
socket.on('message', (packet, peer) => {
  if (packet.length < 17) return;
  const q = question(packet);
  const ip = names.get(q.name);
  const answer = ip && q.type === 1;
  const header = Buffer.alloc(12);
  packet.copy(header, 0, 0, 2);                                   // the query's id
  header.writeUInt16BE(0x8180 | (ip ? 0 : 3), 2);                 // response, RD, RA; NXDOMAIN if unknown
  header.writeUInt16BE(1, 4);                                     // one question
  header.writeUInt16BE(answer ? 1 : 0, 6);                        // answers
  const parts = [header, packet.subarray(12, q.end)];
  if (answer) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0);                              // the question's name
    record.writeUInt16BE(1, 2);                                   // A
    record.writeUInt16BE(1, 4);                                   // IN
    record.writeUInt32BE(60, 6);                                  // TTL
    record.writeUInt16BE(4, 10);
    ip.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
    parts.push(record);
  }
  socket.send(Buffer.concat(parts), peer.port, peer.address);
});
process.on('SIGTERM', () => process.exit(0));
socket.bind(Number(port), address, () => process.stdout.write(`listening on dns://${address}:${port}\n`));

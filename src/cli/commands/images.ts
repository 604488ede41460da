// `skiff images import FILE... | ls | rm IMAGE...`: the container images of this machine's containerd node
// (the containerd that `skiff up --runtime containerd` or `skiff agent` manages under --data-dir, or the one
// on --containerd-socket). import takes OCI or Docker archives (`docker save`, `skopeo copy ...
// docker-archive:`), as `ctr images import` into the CRI namespace; ls and rm speak CRI like crictl.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError, type ParsedOptions } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { CliError } from '../errors.js';
import { dataDirOption } from '../options.js';

/** Where a node's containerd socket is, in order: the one `skiff up`/`skiff agent` manage (agent in <D>/agent), the system's. */
export function socketCandidates(dataDir: string, systemSocket: string): string[] {
  return [join(dataDir, 'agent', 'runtime', 'containerd', 'containerd', 'containerd.sock'), systemSocket];
}

function isSocket(p: string): boolean {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
}

async function findSocket(opts: ParsedOptions): Promise<string> {
  const explicit = opts.optionalString('containerd-socket');
  if (explicit) {
    if (!isSocket(explicit)) throw new CliError(`no containerd socket at ${explicit}`);
    return explicit;
  }
  const dataDir = resolve(opts.string('data-dir'));
  const { defaultContainerdSocket } = await import('../../runtime/select.js');
  const found = socketCandidates(dataDir, defaultContainerdSocket).find(isSocket);
  if (!found) {
    throw new CliError(
      `no running containerd for ${dataDir}: start the node with \`skiff up --runtime containerd --data-dir ${dataDir}\` first, or pass --containerd-socket`,
    );
  }
  return found;
}

/** Image size as crictl prints it (decimal units, 3 significant digits): 2130256 → "2.13MB". */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

export interface ImageRow {
  image: string;
  tag: string;
  id: string;
  size: string;
}

/** One row per tag (crictl's layout); untagged images show their digest repository with tag <none>. */
export function imageRows(images: { id: string; repoTags: string[]; repoDigests: string[]; sizeBytes: number }[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const id = img.id.replace(/^sha256:/, '').slice(0, 13);
    const size = humanSize(img.sizeBytes);
    const refs = img.repoTags.length ? img.repoTags : img.repoDigests.map((d) => `${d.split('@')[0]}:<none>`);
    for (const ref of refs.length ? refs : ['<none>:<none>']) {
      const colon = ref.lastIndexOf(':');
      const slash = ref.lastIndexOf('/');
      const [image, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, '<none>'];
      rows.push({ image, tag, id, size });
    }
  }
  return rows.sort((a, b) => a.image.localeCompare(b.image) || a.tag.localeCompare(b.tag));
}

export function formatRows(rows: ImageRow[]): string {
  const header = { image: 'IMAGE', tag: 'TAG', id: 'IMAGE ID', size: 'SIZE' };
  const all = [header, ...rows];
  const w = (k: keyof ImageRow) => Math.max(...all.map((r) => r[k].length));
  const [wi, wt, wd] = [w('image'), w('tag'), w('id')];
  return all.map((r) => `${r.image.padEnd(wi)}   ${r.tag.padEnd(wt)}   ${r.id.padEnd(wd)}   ${r.size}`.trimEnd()).join('\n') + '\n';
}

async function run(opts: ParsedOptions, ctx: CliContext): Promise<number> {
  const [sub, ...args] = opts.positionals;
  if (!sub) throw new UsageError('skiff images needs a subcommand: import FILE..., ls, or rm IMAGE...');
  if (!['import', 'ls', 'list', 'rm', 'remove'].includes(sub)) throw new UsageError(`unknown subcommand "${sub}": use import, ls or rm`);
  if ((sub === 'import' || sub === 'rm' || sub === 'remove') && args.length === 0) {
    throw new UsageError(`skiff images ${sub} needs at least one ${sub === 'import' ? 'FILE' : 'IMAGE'}`);
  }
  if ((sub === 'ls' || sub === 'list') && args.length) throw new UsageError('skiff images ls takes no arguments');
  const socket = await findSocket(opts);
  const [{ CriClient }, { importArchive }, { fromCriImage }] = await Promise.all([
    import('../../runtime/containerd/cri-client.js'),
    import('../../runtime/containerd/image-build.js'),
    import('../../runtime/containerd/cri-mapping.js'),
  ]);
  if (sub === 'import') {
    for (const file of args) {
      if (!existsSync(file)) throw new CliError(`no such file: ${file}`);
      let names: string[];
      try {
        names = await importArchive(socket, resolve(file));
      } catch (e) {
        throw new CliError(`cannot import ${file}: ${(e as Error).message}`);
      }
      if (!names.length) throw new CliError(`${file} holds no named image (an OCI archive needs an org.opencontainers.image.ref.name annotation)`);
      for (const n of names) ctx.stdout.write(`imported ${n}\n`);
    }
    return 0;
  }
  const client = new CriClient(socket);
  try {
    if (sub === 'ls' || sub === 'list') {
      const { images } = await client.listImages();
      ctx.stdout.write(formatRows(imageRows(images.map(fromCriImage))));
      return 0;
    }
    let failed = 0;
    for (const ref of args) {
      const { image } = await client.imageStatus(ref);
      if (!image) {
        ctx.stderr.write(`error: no such image ${ref}\n`);
        failed++;
        continue;
      }
      await client.removeImage(ref);
      ctx.stdout.write(`Deleted: ${ref}\n`);
    }
    return failed ? 1 : 0;
  } finally {
    client.close();
  }
}

export const imagesCommand: Command = {
  name: 'images',
  summary: 'import, list or remove container images of this machine\'s containerd node',
  args: 'import FILE... | ls | rm IMAGE...',
  details: [
    'Subcommands:',
    '  import FILE...  load OCI or Docker image archives (docker save, skopeo copy ... docker-archive:FILE)',
    '  ls              list images (IMAGE, TAG, IMAGE ID, SIZE)',
    '  rm IMAGE...     remove images (every tag of the same image goes with it, as with crictl rmi)',
    '',
    'Registry mirrors and credentials: DATA_DIR/registries.yaml (the k3s format), read when the node starts.',
  ].join('\n'),
  options: [
    dataDirOption,
    { name: 'containerd-socket', type: 'string', valueName: 'PATH', description: 'containerd socket to use instead of the one the node in --data-dir manages' },
  ],
  run,
};

// The sandbox ("pause") image, built locally when containerd does not have it, so pods start with no
// registry access: busybox-static plus a /pause script that sleeps until SIGTERM/SIGINT. The built archive
// is cached in the runtime's directory so later starts only import it.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CriClient } from './cri-client.js';
import { buildBusyboxImage, importArchive, toDockerArchive } from './image-build.js';

// Runs as PID 1 of the sandbox: the trap makes TERM end it at once (PID 1 ignores unhandled signals).
const pauseScript = `#!/bin/sh
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
`;

async function buildPauseArchive(workDir: string, image: string): Promise<string> {
  const archive = join(workDir, 'pause.tar');
  if (existsSync(archive)) return archive;
  mkdirSync(workDir, { recursive: true });
  const scratch = join(workDir, 'build');
  try {
    const ref = await buildBusyboxImage({ workDir: scratch, tag: 'pause', files: [{ path: '/pause', content: pauseScript, mode: 0o755 }], entrypoint: ['/pause'] });
    await toDockerArchive(ref, `${archive}.tmp`, image);
    renameSync(`${archive}.tmp`, archive);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return archive;
}

/** Makes sure `image` is in containerd's k8s.io namespace; builds and imports it when missing. */
export async function ensurePauseImage(client: CriClient, socket: string, image: string, workDir: string): Promise<'present' | 'imported'> {
  const status = await client.imageStatus(image);
  if (status.image) return 'present';
  const archive = await buildPauseArchive(workDir, image);
  await importArchive(socket, archive);
  return 'imported';
}

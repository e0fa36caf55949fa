import * as Y from 'yjs';
import { createVat } from 'capmesh';
import { createMemoryNetwork } from 'capmesh/testing';
import { joinDoc, shareDoc } from 'capmesh/yjs';

const network = createMemoryNetwork();
const host = await createVat({ netlayers: [network.netlayer()] });
const guest = await createVat({ netlayers: [network.netlayer()] });

// The host shares its document: one link to edit, one to read.
const notes = new Y.Doc();
notes.getText('notes').insert(0, 'Shopping: ');
const { editor, viewer } = await shareDoc(host, notes);

// A member joins with a link and a Y.Doc of its own.
const copy = new Y.Doc();
const joined = await joinDoc(guest, editor, copy);
await joined.synced; // the host's state is in `copy`
copy.getText('notes').insert(10, 'bread');

const seen = await new Promise<string>((resolve) => notes.on('update', () => resolve(notes.getText('notes').toString())));
console.log(joined.readOnly, seen, viewer.startsWith('ocapn://')); // false Shopping: bread true

joined.close();
await Promise.all([host.close(), guest.close()]);
export { seen };

/** Registers the runtime of every supported element (side-effect imports). */
import './message.js';
import './flow.js';
import './identity.js';
import './limits.js';
import './backend.js';

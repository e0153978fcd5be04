<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" indent="no"/><xsl:template match="/"><html><body><form action="/s"><input type="checkbox" name="c" checked="checked"/><select><option selected="selected">a</option><option>b</option></select><br/><hr/></form><p>x<br/>y</p></body></html></xsl:template>
</xsl:stylesheet>
